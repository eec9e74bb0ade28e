"""The adaptive limiter's decisions (:mod:`claude_bedrock._throughput`), with a clock the
test advances: pure logic, no I/O. Its behaviour against a throttling Bedrock is proven end
to end against the emulator's quotas (tests/test_throughput_emulator.py, bench/)."""

from __future__ import annotations

import asyncio
import math
import threading

from claude_bedrock._throughput import (
    AsyncGate,
    SyncGate,
    ThroughputCore,
    ThroughputSettings,
    Ticket,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def admit_all(core: ThroughputCore, key: str, tokens: int) -> list[Ticket]:
    tickets = []
    while isinstance(got := core.admit(key, tokens), Ticket):
        tickets.append(got)
    return tickets


def test_call_window_starts_small_and_blocks_until_a_release() -> None:
    core = ThroughputCore(ThroughputSettings(initial_calls=4), clock=Clock())
    tickets = admit_all(core, "m", 100)
    assert len(tickets) == 4
    assert core.admit("m", 100) == math.inf
    core.release(tickets[0], "ok")
    assert isinstance(core.admit("m", 100), Ticket)


def test_slow_start_doubles_then_one_call_per_window_after_a_throttle() -> None:
    clock = Clock()
    core = ThroughputCore(ThroughputSettings(initial_calls=4, decrease=0.5), clock=clock)
    for _ in range(4):  # one round of successes: slow start doubles the window
        core.release(core.admit("m", 10), "ok")  # type: ignore[arg-type]
    assert core.snapshot("m")["calls"] == 8
    core.release(core.admit("m", 10), "throttled", signal="capacity")  # type: ignore[arg-type]
    assert core.snapshot("m")["calls"] == 4  # 8 x 0.5
    for _ in range(4):  # one window's worth: additive increase from now on
        core.release(core.admit("m", 10), "ok")  # type: ignore[arg-type]
    assert 4.9 < core.snapshot("m")["calls"] < 5.0  # type: ignore[operator]


def test_a_burst_of_throttles_is_one_congestion_event() -> None:
    clock = Clock()
    core = ThroughputCore(ThroughputSettings(initial_calls=10, decrease=0.5), clock=clock)
    tickets = admit_all(core, "m", 1000)
    for ticket in tickets:  # all ten come back throttled at once
        core.release(ticket, "throttled", signal="capacity")
    assert core.snapshot("m")["calls"] == 5.0
    clock.now += 1.0  # past one call duration (1 s before any success): a new event
    core.release(core.admit("m", 1000), "throttled", signal="capacity")  # type: ignore[arg-type]
    assert core.snapshot("m")["calls"] == 2.5
    assert core.snapshot("m")["call_rate"] is None  # capacity is not a quota: no pacing


def _succeed(core: ThroughputCore, clock: Clock, n: int, tokens: int, every: float) -> None:
    for _ in range(n):
        ticket = core.admit("m", tokens)
        assert isinstance(ticket, Ticket)
        clock.now += every
        core.release(ticket, "ok")


def test_a_requests_throttle_paces_calls_at_what_got_through() -> None:
    clock = Clock()
    settings = ThroughputSettings(initial_calls=100, horizon=2.0, margin=0.9)
    core = ThroughputCore(settings, clock=clock)
    _succeed(core, clock, 40, 100, 0.05)  # 20 calls a second for 2 s
    core.release(core.admit("m", 100), "throttled", signal="requests")  # type: ignore[arg-type]
    rate = core.snapshot("m")["call_rate"]
    assert rate is not None and 17.0 < rate < 18.5  # 0.9 x ~20/s
    assert core.snapshot("m")["token_rate"] is None  # the tokens quota was not named
    first = core.admit("m", 100)
    assert isinstance(first, Ticket)
    wait = core.admit("m", 100)
    assert isinstance(wait, float) and 0.05 < wait <= 1 / rate + 1e-9


def test_a_tokens_throttle_paces_by_each_calls_size() -> None:
    clock = Clock()
    settings = ThroughputSettings(initial_calls=100, horizon=2.0, margin=1.0)
    core = ThroughputCore(settings, clock=clock)
    _succeed(core, clock, 20, 1000, 0.1)  # 10,000 tokens a second
    core.release(core.admit("m", 10), "throttled", signal="tokens")  # type: ignore[arg-type]
    rate = core.snapshot("m")["token_rate"]
    assert rate is not None and 9_000 < rate <= 10_500
    big = core.admit("m", 20_000)  # two seconds' worth: admitted on its turn...
    assert isinstance(big, Ticket)
    after = core.admit("m", 10)  # ...and the next call waits for the room it took
    assert isinstance(after, float) and after > 1.5


def test_successes_probe_the_paced_rate_upward() -> None:
    clock = Clock()
    core = ThroughputCore(ThroughputSettings(initial_calls=100, horizon=2.0), clock=clock)
    _succeed(core, clock, 20, 10, 0.1)
    core.release(core.admit("m", 10), "throttled", signal="requests")  # type: ignore[arg-type]
    before = core.snapshot("m")["call_rate"]
    clock.now += 1.0
    _succeed(core, clock, 20, 10, 0.2)
    after = core.snapshot("m")["call_rate"]
    assert before is not None and after is not None and after > before


def test_retry_after_pauses_the_whole_key() -> None:
    clock = Clock()
    core = ThroughputCore(clock=clock)
    ticket = core.admit("m", 10)
    core.release(ticket, "throttled", retry_after=2.0)  # type: ignore[arg-type]
    assert core.admit("m", 10) == 2.0
    assert isinstance(core.admit("other", 10), Ticket)  # keys are independent
    clock.now += 2.0
    assert isinstance(core.admit("m", 10), Ticket)


def test_other_errors_neither_grow_nor_cut() -> None:
    core = ThroughputCore(ThroughputSettings(initial_calls=4), clock=Clock())
    core.release(core.admit("m", 10), "other")  # type: ignore[arg-type]
    assert core.snapshot("m")["calls"] == 4


def test_sync_gate_shares_the_window_across_threads() -> None:
    gate = SyncGate(ThroughputCore(ThroughputSettings(initial_calls=3, max_calls=3)))
    peak = 0
    running = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal peak, running
        ticket = gate.acquire("m", 1, deadline=None)
        assert ticket is not None
        with lock:
            running += 1
            peak = max(peak, running)
        with lock:
            running -= 1
        gate.release(ticket, "ok")

    threads = [threading.Thread(target=work) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert peak <= 3


def test_async_gate_wakes_waiters_on_release_and_honours_a_deadline() -> None:
    async def main() -> tuple[int, Ticket | None]:
        gate = AsyncGate(ThroughputCore(ThroughputSettings(initial_calls=2, max_calls=2)))
        in_flight = 0
        peak = 0

        async def work() -> None:
            nonlocal in_flight, peak
            ticket = await gate.acquire("m", 1)
            assert ticket is not None
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0)
            in_flight -= 1
            gate.release(ticket, "ok")

        await asyncio.wait_for(asyncio.gather(*(work() for _ in range(50))), 30)
        held = [await gate.acquire("m", 1) for _ in range(2)]
        import time

        late = await gate.acquire("m", 1, deadline=time.monotonic() + 0.05)
        for t in held:
            assert t is not None
            gate.release(t, "ok")
        return peak, late

    peak, late = asyncio.run(main())
    assert peak <= 2
    assert late is None


def test_a_waiting_retry_goes_before_new_calls() -> None:
    core = ThroughputCore(ThroughputSettings(initial_calls=1), clock=Clock())
    held = core.admit("m", 1)
    assert isinstance(held, Ticket)
    core.window("m").retries_waiting = 1  # a throttled call is waiting for its turn
    core.release(held, "ok")
    assert core.admit("m", 1) == math.inf  # a new call waits behind it...
    assert isinstance(core.admit("m", 1, retry=True), Ticket)  # ...the retry goes first
