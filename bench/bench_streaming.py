"""Consuming one long streamed answer: our client vs the official Anthropic SDK.

Streaming is where users feel a client's speed: every token goes through frame decoding,
base64, JSON, typed events and accumulation. This script serves one Bedrock
``invoke-with-response-stream`` answer of N text deltas (20,000 by default) from a tiny
replay server in its own process (pre-encoded frames, one HTTP chunk per frame as Bedrock
sends them), so the figures are the client's own cost. Each client consumes it through
``messages.stream(...)``: ``text_stream`` to the end, then ``get_final_message()``.

Reported, for the sync and the async clients: median CPU time (``time.process_time`` of
this process) and wall time per stream, and the ratio ours / SDK. Target: ours <= 1/3 of
the SDK's. (The async runs include creating the client and an event loop per run.)

    python bench/bench_streaming.py [--deltas 20000] [--runs 7] [--emulator]

``--emulator`` streams from ``claude-bedrock serve`` (subprocess) instead of the replay
server (its wall time then includes the emulator's own generation).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from _replay import serve_forever, start
from claude_bedrock.wire.eventstream import encode_event

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"
ACCESS, SECRET = "AKIDBENCHSTREAM00001", "bench/streaming/secret/key/000000000000"
_WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "Claude",
    "streams", "tokens",
]  # fmt: skip
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# --------------------------------------------------------------------------- the server


def _chunk(event: dict[str, Any], index: int) -> bytes:
    raw = json.dumps(event, separators=(",", ":")).encode()
    payload = {"bytes": base64.b64encode(raw).decode(), "p": _PADDING[: 8 + index % 40]}
    return encode_event("chunk", json.dumps(payload, separators=(",", ":")).encode())


def build_events(deltas: int) -> list[dict[str, Any]]:
    """A Bedrock-shaped Messages stream: start, one text block of ``deltas`` deltas, stop."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_bdrk_01BenchStreaming",
                "type": "message",
                "role": "assistant",
                "model": "claude-opus-4-6",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 12,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 1,
                },
            },
        },  # fmt: skip
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    for i in range(deltas):
        text = " " + " ".join(_WORDS[(i + k) % len(_WORDS)] for k in range(1 + i % 3))
        events.append(
            {"type": "content_block_delta", "index": 0,
             "delta": {"type": "text_delta", "text": text}}
        )  # fmt: skip
    events += [
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": deltas}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 12, "outputTokenCount": deltas,
            "invocationLatency": 1234, "firstByteLatency": 56}},
    ]  # fmt: skip
    return events


def build_body(deltas: int) -> bytes:
    """The whole chunked HTTP body: one HTTP chunk per event-stream frame, as Bedrock does."""
    parts = []
    for index, event in enumerate(build_events(deltas)):
        frame = _chunk(event, index)
        parts.append(b"%x\r\n%b\r\n" % (len(frame), frame))
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: application/vnd.amazon.eventstream\r\n"
    b"x-amzn-requestid: 11111111-2222-3333-4444-555555555555\r\n"
    b"x-amzn-bedrock-content-type: application/json\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)


def _serve(deltas: int, port_out: Any) -> None:
    answer = _HEAD + build_body(deltas)
    serve_forever(port_out, lambda _body: answer)


def start_server(deltas: int) -> tuple[str, multiprocessing.Process]:
    port, process = start(_serve, deltas)
    return f"http://127.0.0.1:{port}", process


# --------------------------------------------------------------------------- the clients

MESSAGES = [{"role": "user", "content": "Stream a long answer"}]


def ours(url: str) -> Callable[[], tuple[str, Any]]:
    from claude_bedrock import AnthropicBedrock

    client = AnthropicBedrock(
        aws_access_key=ACCESS, aws_secret_key=SECRET, aws_region=REGION, base_url=url
    )

    def run() -> tuple[str, Any]:
        with client.messages.stream(model=MODEL, max_tokens=64000, messages=MESSAGES) as s:
            text = "".join(s.text_stream)
            return text, s.get_final_message()

    return run


def sdk(url: str) -> Callable[[], tuple[str, Any]]:
    import anthropic

    client = anthropic.AnthropicBedrock(
        aws_access_key=ACCESS, aws_secret_key=SECRET, aws_region=REGION, base_url=url
    )

    def run() -> tuple[str, Any]:
        with client.messages.stream(model=MODEL, max_tokens=64000, messages=MESSAGES) as s:
            text = "".join(s.text_stream)
            return text, s.get_final_message()

    return run


def async_run(url: str, sdk_client: bool) -> Callable[[], tuple[str, Any]]:
    """The same consumption through the async clients (one event loop per run)."""
    import asyncio

    if sdk_client:
        import anthropic

        make: Any = anthropic.AsyncAnthropicBedrock
    else:
        from claude_bedrock import AsyncAnthropicBedrock as make
    options = {"aws_access_key": ACCESS, "aws_secret_key": SECRET, "aws_region": REGION,
               "base_url": url}  # fmt: skip

    async def once() -> tuple[str, Any]:
        async with make(**options) as client:
            stream_manager = client.messages.stream(
                model=MODEL, max_tokens=64000, messages=MESSAGES
            )
            async with stream_manager as s:
                text = "".join([piece async for piece in s.text_stream])
                return text, await s.get_final_message()

    return lambda: asyncio.run(once())


def measure(fn: Callable[[], tuple[str, Any]], runs: int) -> tuple[float, float, str]:
    """Median (cpu, wall) seconds per stream after one warm-up run; and the text."""
    text, _ = fn()
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--emulator", action="store_true", help="stream from the emulator")
    parser.add_argument("--only", choices=["ours", "sdk"], help="profile one client")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    if args.emulator:
        from claude_bedrock.emulator import Emulator

        emulator = Emulator(subprocess=True, region=REGION).start()
        url, stop = emulator.url, emulator.stop
        MESSAGES[0]["content"] = f"Stream a long answer emulator:tokens={args.deltas * 4}"
        global ACCESS, SECRET
        ACCESS, SECRET = emulator.access_key, emulator.secret_key
    else:
        url, process = start_server(args.deltas)
        stop = process.terminate
    try:
        clients = {
            "sync": {"ours": lambda: ours(url), "sdk": lambda: sdk(url)},
            "async": {"ours": lambda: async_run(url, False), "sdk": lambda: async_run(url, True)},
        }
        for mode, pair in clients.items():
            results = {}
            for name, factory in pair.items():
                if args.only and name != args.only:
                    continue
                results[name] = measure(factory(), args.runs)
                cpu, wall, text = results[name]
                print(f"{mode:>5} {name:>4}: cpu {cpu * 1000:8.1f} ms  "
                      f"wall {wall * 1000:8.1f} ms  ({len(text)} chars)")  # fmt: skip
            if len(results) == 2:
                (c1, w1, t1), (c2, w2, t2) = results["ours"], results["sdk"]
                assert t1 == t2, "the two clients did not read the same text"
                print(f"{mode:>5} ratio ours/sdk: cpu {c1 / c2:.3f}  wall {w1 / w2:.3f}"
                      "  (target <= 0.333)")  # fmt: skip
    finally:
        stop()


if __name__ == "__main__":
    main()
