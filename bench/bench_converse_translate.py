"""The Converse stream translation, alone: how much CPU a 20,000-event stream costs.

``messages.create(stream=True, api="converse")`` translates every Converse event into the
Anthropic event InvokeModel would have sent; the emulator translates the other way for
every ConverseStream it serves. This times both on pre-built events (no server, no HTTP),
so the figures are the translation's own:

* client: typed Converse events -> typed Anthropic events (``ToAnthropic``);
* client, with decoding: event-stream frames -> typed Converse events -> typed Anthropic;
* emulator: Anthropic event dicts -> Converse ``(type, payload)`` pairs.

Reported: the best CPU time (``time.process_time``) of ``--runs`` runs, per stream.

    python bench/bench_converse_translate.py [--events 20000] [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from claude_bedrock.converse import ToAnthropic
from claude_bedrock.converse._stream import FrameReader
from claude_bedrock.wire.converse import anthropic_to_converse
from claude_bedrock.wire.eventstream import encode_event

_WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog"]


def converse_pairs(n: int) -> list[tuple[str, dict[str, Any]]]:
    """A text answer of ``n`` Converse events, as Bedrock streams it."""
    pairs: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    for i in range(n - 4):
        delta = {"delta": {"text": _WORDS[i % 9] + " "}, "contentBlockIndex": 0}
        pairs.append(("contentBlockDelta", delta))
    usage = {"inputTokens": 10, "outputTokens": n, "totalTokens": n + 10}
    pairs += [
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
        ("metadata", {"usage": usage, "metrics": {"latencyMs": 5}}),
    ]
    return pairs


def anthropic_events(n: int) -> list[dict[str, Any]]:
    """The same answer as ``n`` Anthropic events (what the emulator's engine gives)."""
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
               "content": [], "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": 10, "output_tokens": 1}}  # fmt: skip
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    for i in range(n - 4):
        delta = {"type": "text_delta", "text": _WORDS[i % 9] + " "}
        events.append({"type": "content_block_delta", "index": 0, "delta": delta})
    events += [
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": n}},
        {"type": "message_stop"},
    ]  # fmt: skip
    return events


def best_cpu(run: Callable[[], None], runs: int) -> float:
    run()  # warm up (lazy validators, caches)
    times = []
    for _ in range(runs):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    pairs = converse_pairs(args.events)
    frames = [encode_event(k, json.dumps({**p, "p": "abcdefgh"}).encode()) for k, p in pairs]
    response = httpx.Response(200, request=httpx.Request("POST", "http://127.0.0.1/converse"))

    def decode() -> list[Any]:
        reader = FrameReader(response)
        return [event for frame in frames for event in reader.feed(frame)]

    typed = decode()

    def translate() -> None:
        adapter = ToAnthropic("msg_1", "claude")
        for event in typed:
            for _ in adapter.feed(event):
                pass

    def decode_and_translate() -> None:
        adapter, reader = ToAnthropic("msg_1", "claude"), FrameReader(response)
        for frame in frames:
            for event in reader.feed(frame):
                for _ in adapter.feed(event):
                    pass

    events = anthropic_events(args.events)

    def emulator() -> None:
        for _ in anthropic_to_converse(events):
            pass

    for name, run in [
        ("client: typed Converse -> typed Anthropic", translate),
        ("client: frames -> typed Converse -> typed Anthropic", decode_and_translate),
        ("emulator: Anthropic dicts -> Converse pairs", emulator),
    ]:
        cpu = best_cpu(run, args.runs)
        print(f"{name:52} {cpu * 1000:7.1f} ms CPU per {args.events} events "
              f"({cpu / args.events * 1e6:.2f} us/event)")  # fmt: skip


if __name__ == "__main__":
    main()
