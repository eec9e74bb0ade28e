"""Peak memory of sending a 1M-token request (about 4 MB of JSON), in copies of the body.

The requirement: sending a 1M-token request must not hold more than three copies of the
body at once. The emulator runs in its own process, so ``tracemalloc`` here sees the
client's allocations only. Tracing starts *after* the prompt is built: the caller's own
prompt is one copy already, so "copies held" = 1 + (peak allocated during the call) /
(body size). The same figure is given for boto3 and the Anthropic SDK, as baselines.

    python bench/bench_memory_1m.py [--tokens 990000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from claude_bedrock.catalog import CONTEXT_1M_BETA
from claude_bedrock.emulator.tokens import count_text

MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
REGION = "us-west-2"
PHRASE = "Readers of long reports take notes, page by page. "  # 4.5 bytes per token


_CHILD = """
import json, sys
from claude_bedrock.emulator import Emulator
with Emulator() as emu:
    print(json.dumps([emu.url, emu.access_key, emu.secret_key]), flush=True)
    sys.stdin.read()
"""


@contextmanager
def emulator_process() -> Iterator[tuple[str, str, str]]:
    """An emulator in a child interpreter: ``(url, access_key, secret_key)``.

    Started with ``python -c`` rather than ``Emulator(subprocess=True)`` so that the bench
    depends on the emulator only, not on the CLI; it stops when its stdin closes.
    """
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    try:
        url, access_key, secret_key = json.loads(child.stdout.readline())
        yield url, access_key, secret_key
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def build_prompt(tokens: int) -> str:
    """Text of about ``tokens`` tokens (the emulator's count), built once."""
    per_phrase = count_text(PHRASE)
    return PHRASE * (tokens // per_phrase)


def peak_during(call: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes allocated at the peak of ``call`` above what was live before it."""
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before, result


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=990_000)
    args = parser.parse_args()

    import anthropic
    import boto3

    from claude_bedrock import AnthropicBedrock

    prompt = build_prompt(args.tokens - 16)
    messages = [{"role": "user", "content": prompt}]
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 16, "messages": messages,
            "anthropic_beta": [CONTEXT_1M_BETA]}  # fmt: skip
    body_size = len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    results: dict[str, Any] = {"body_bytes": body_size}

    with emulator_process() as (url, access_key, secret_key):
        creds = {"aws_access_key": access_key, "aws_secret_key": secret_key}
        ours = AnthropicBedrock(aws_region=REGION, base_url=url, **creds)
        sdk = anthropic.AnthropicBedrock(aws_region=REGION, base_url=url, **creds)
        brt = boto3.client(
            "bedrock-runtime", region_name=REGION, endpoint_url=url,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        )  # fmt: skip

        def call_ours() -> int:
            message = ours.messages.create(
                model=MODEL, max_tokens=16, messages=messages, context_1m=True
            )
            return message.usage.input_tokens

        def call_sdk() -> int:
            message = sdk.messages.create(
                model=MODEL, max_tokens=16, messages=messages,  # type: ignore[arg-type]
                extra_headers={"anthropic-beta": CONTEXT_1M_BETA},
            )  # fmt: skip
            return message.usage.input_tokens

        def call_boto3() -> int:
            raw = json.dumps(body)  # what a boto3 user writes
            response = brt.invoke_model(modelId=MODEL, body=raw)
            return int(json.loads(response["body"].read())["usage"]["input_tokens"])

        for name, call in (("claude_bedrock", call_ours), ("anthropic", call_sdk),
                           ("boto3", call_boto3)):  # fmt: skip
            call()  # warm-up: imports, connection, caches
            peak, input_tokens = peak_during(call)
            copies = 1 + peak / body_size
            results[name] = {"peak_bytes": peak, "copies_held": round(copies, 2),
                             "input_tokens": input_tokens}  # fmt: skip
            print(
                f"{name:15} input {input_tokens:>9,} tokens  body {body_size / 1e6:.2f} MB  "
                f"peak +{peak / 1e6:6.2f} MB  = {copies:.2f} copies of the body held"
            )
        ours.close()
    ok = results["claude_bedrock"]["copies_held"] <= 3
    print(f"requirement (at most 3 copies held by claude_bedrock): {'met' if ok else 'NOT met'}")
    return results


if __name__ == "__main__":
    main()
