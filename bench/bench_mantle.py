"""The Messages API path (bedrock-mantle): our AnthropicBedrockMantle vs the official SDK's.

Two measures, both against one tiny replay server in its own process (pre-encoded answers,
so the figures are the clients' own cost):

* **stream**: one Server-Sent-Events answer of N text deltas (20,000 by default), one HTTP
  chunk per event as Bedrock sends them, consumed through ``messages.stream(...)``:
  ``text_stream`` to the end, then ``get_final_message()``. Target: ours <= 0.2x the SDK's
  client CPU.
* **create**: many small ``messages.create`` calls (non-streamed JSON answers), SigV4-signed
  with signing name ``bedrock-mantle``. Target: ours <= 0.5x the SDK's CPU per call.

Both clients sign every request (SigV4, static keys) and parse every answer into typed
objects; the server does not check signatures.

    python bench/bench_mantle.py [--deltas 20000] [--runs 7] [--calls 2000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from _replay import serve_forever, start
from claude_bedrock.wire.sse import encode

MODEL = "anthropic.claude-opus-5"
REGION = "us-east-1"
ACCESS, SECRET = "AKIDBENCHMANTLE00001", "bench/mantle/secret/key/00000000000000000"
MESSAGES = [{"role": "user", "content": "Stream a long answer"}]
_WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "Claude",
    "streams", "tokens",
]  # fmt: skip
_USAGE = {
    "input_tokens": 12,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
    "output_tokens": 1,
}


# --------------------------------------------------------------------------- the server


def build_events(deltas: int) -> list[dict[str, Any]]:
    """An Anthropic Messages stream: start, ping, one text block of ``deltas`` deltas, stop."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_bdrk_01BenchMantle",
                "type": "message",
                "role": "assistant",
                "model": MODEL,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": _USAGE,
            },
        },  # fmt: skip
        {"type": "ping"},
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
        {"type": "message_stop"},
    ]  # fmt: skip
    return events


def _chunked(pieces: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def stream_answer(deltas: int) -> bytes:
    events = build_events(deltas)
    pieces = [encode(json.dumps(e, separators=(",", ":")), event=e["type"]) for e in events]
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"request-id: req_bench_mantle\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    return head + _chunked(pieces)


def json_answer() -> bytes:
    message = {
        "id": "msg_bdrk_01BenchMantleCall", "type": "message", "role": "assistant",
        "model": MODEL, "content": [{"type": "text", "text": "Hello from the replay server."}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {**_USAGE, "output_tokens": 7},
    }  # fmt: skip
    body = json.dumps(message, separators=(",", ":")).encode()
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"request-id: req_bench_mantle\r\ncontent-length: %d\r\n\r\n" % len(body)
    )
    return head + body


def _serve(deltas: int, port_out: Any) -> None:
    streamed, plain = stream_answer(deltas), json_answer()

    def answer(body: bytes) -> bytes:
        return streamed if b'"stream":true' in body.replace(b" ", b"") else plain

    serve_forever(port_out, answer)


def start_server(deltas: int) -> tuple[str, multiprocessing.Process]:
    port, process = start(_serve, deltas)
    return f"http://127.0.0.1:{port}/anthropic", process


# --------------------------------------------------------------------------- the clients


def make_client(which: str, base_url: str) -> Any:
    if which == "sdk":
        import anthropic

        cls: Any = anthropic.AnthropicBedrockMantle
    else:
        from claude_bedrock import AnthropicBedrockMantle as cls  # type: ignore[attr-defined]
    return cls(aws_access_key=ACCESS, aws_secret_key=SECRET, aws_region=REGION, base_url=base_url)


def streamer(client: Any) -> Callable[[], str]:
    def run() -> str:
        with client.messages.stream(model=MODEL, max_tokens=64000, messages=MESSAGES) as s:
            text = "".join(s.text_stream)
            s.get_final_message()
            return text

    return run


def caller(client: Any, calls: int) -> Callable[[], str]:
    def run() -> str:
        text = ""
        for _ in range(calls):
            message = client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
            text = message.content[0].text
        return text

    return run


def measure(fn: Callable[[], str], runs: int) -> tuple[float, float, str]:
    """Median (cpu, wall) seconds per run after one warm-up run; and the text read."""
    text = fn()
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall), text


def _compare(label: str, results: dict[str, tuple[float, float, str]], per: int, target: float):
    for name, (cpu, wall, text) in results.items():
        print(f"{label:>6} {name:>4}: cpu {cpu * 1000 / per:9.3f} ms  wall {wall * 1000 / per:9.3f}"
              f" ms  per {'stream' if per == 1 else 'call'}  ({len(text)} chars)")  # fmt: skip
    (c1, w1, t1), (c2, w2, t2) = results["ours"], results["sdk"]
    assert t1 == t2, "the two clients did not read the same text"
    print(f"{label:>6} ratio ours/sdk: cpu {c1 / c2:.3f}  wall {w1 / w2:.3f}  (target <= {target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    url, process = start_server(args.deltas)
    try:
        clients = {name: make_client(name, url) for name in ("ours", "sdk")}
        streams = {n: measure(streamer(c), args.runs) for n, c in clients.items()}
        _compare("stream", streams, 1, 0.2)
        runs = max(3, args.runs // 2)
        calls = {n: measure(caller(c, args.calls), runs) for n, c in clients.items()}
        _compare("create", calls, args.calls, 0.5)
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
