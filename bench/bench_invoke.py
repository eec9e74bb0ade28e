"""Per-call client CPU of one InvokeModel: ours vs the official Anthropic SDK vs boto3.

The emulator runs in its own process, so the figures are the client's own CPU time
(``time.process_time`` of this process only: signing, serialising, HTTP, parsing), measured
in one run against one server. Also the import time of each library, in fresh interpreters.

    python bench/bench_invoke.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
MESSAGES = [{"role": "user", "content": "Hello, world"}]
REGION = "us-west-2"


def _cpu_per_call(fn: Callable[[], Any], calls: int, rounds: int = 5) -> float:
    """Median over rounds of process CPU seconds per call, after a warm-up."""
    for _ in range(50):
        fn()
    samples = []
    per_round = max(1, calls // rounds)
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            fn()
        samples.append((time.process_time() - start) / per_round)
    return statistics.median(samples)


def _import_ms(statement: str, repeat: int = 5) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)  # fmt: skip
        times.append(float(out.stdout.strip()))
    return statistics.median(times) * 1000


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    import anthropic
    import boto3

    from claude_bedrock import AnthropicBedrock

    with Emulator(subprocess=True) as emu:
        creds = {"aws_access_key": emu.access_key, "aws_secret_key": emu.secret_key}
        ours = AnthropicBedrock(aws_region=REGION, base_url=emu.url, **creds)
        sdk = anthropic.AnthropicBedrock(aws_region=REGION, base_url=emu.url, **creds)
        brt = boto3.client(
            "bedrock-runtime", region_name=REGION, endpoint_url=emu.url,
            aws_access_key_id=emu.access_key, aws_secret_access_key=emu.secret_key,
        )  # fmt: skip
        body = json.dumps(
            {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 256, "messages": MESSAGES}
        )

        def call_ours() -> Any:
            return ours.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)

        def call_sdk() -> Any:
            return sdk.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)

        def call_boto3() -> Any:
            return json.loads(brt.invoke_model(modelId=MODEL, body=body)["body"].read())

        assert call_ours().content[0].text == call_sdk().content[0].text
        results = {
            "claude_bedrock": _cpu_per_call(call_ours, args.calls),
            "anthropic_sdk": _cpu_per_call(call_sdk, args.calls),
            "boto3": _cpu_per_call(call_boto3, args.calls),
        }
    imports = {
        "claude_bedrock": _import_ms("import claude_bedrock"),
        "claude_bedrock (client class)": _import_ms("from claude_bedrock import AnthropicBedrock"),
        "anthropic": _import_ms("import anthropic"),
        "boto3": _import_ms("import boto3"),
    }
    base = results["anthropic_sdk"]
    print(f"InvokeModel, client CPU per call (median of 5 rounds, {args.calls} calls):")
    for name, sec in results.items():
        print(f"  {name:<16} {sec * 1e6:8.1f} µs   ratio vs SDK {sec / base:5.2f}")
    print(f"  ours / boto3: {results['claude_bedrock'] / results['boto3']:.2f}")
    print("Import time (median of 5 fresh interpreters):")
    for name, ms in imports.items():
        print(f"  {name:<30} {ms:8.1f} ms   ratio vs anthropic {ms / imports['anthropic']:5.3f}")
    return {"invoke_cpu_s": results, "import_ms": imports}


if __name__ == "__main__":
    main()
