"""Cold start: import, build a client and make the first call, in a fresh interpreter each time.

This is what a CLI invocation or a Lambda cold start pays, and what an import-time figure
alone hides (a package can import a lazy stub quickly and pay later, on first use). For each
library, N fresh interpreters each run: import the library, build a client, make one
InvokeModel call against the emulator (running in its own process, started once), and exit.

    ours      claude_bedrock.AnthropicBedrock(...).messages.create(...)
    sdk       anthropic.AnthropicBedrock(...).messages.create(...)   (the official SDK)
    boto3     boto3.client("bedrock-runtime").invoke_model(...)

Reported per library, median of N runs: the child's wall time (measured by the parent, from
spawn to exit, so it includes the interpreter's own start-up), the child's CPU time (user +
system, from the kernel's accounting of the reaped child) and the time the child measured
itself from before the import to after the first answer. A bare interpreter
(``python -c pass``) is measured too, as the floor. Ratios are against the official SDK.

    python bench/bench_cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"
REGION = "us-west-2"

# The two AnthropicBedrock clients run the same child, but for the package they import.
_MESSAGES_CLIENT = """
import json, os, time
t0 = time.perf_counter()
from {package} import AnthropicBedrock
client = AnthropicBedrock(aws_region=os.environ["B_REGION"], base_url=os.environ["B_URL"],
    aws_access_key=os.environ["B_AK"], aws_secret_key=os.environ["B_SK"])
msg = client.messages.create(model=os.environ["B_MODEL"], max_tokens=64,
    messages=[{{"role": "user", "content": "Hello, world"}}])
inner = time.perf_counter() - t0
print(json.dumps({{"inner": inner, "text": msg.content[0].text}}))
"""

# Each child prints one JSON line: its own import->first-answer seconds and the answer text.
_CHILDREN: dict[str, str] = {
    "python (bare)": "import json; print(json.dumps({'inner': 0.0, 'text': ''}))",
    "claude_bedrock": _MESSAGES_CLIENT.format(package="claude_bedrock"),
    "anthropic_sdk": _MESSAGES_CLIENT.format(package="anthropic"),
    "boto3": """
import json, os, time
t0 = time.perf_counter()
import boto3
client = boto3.client("bedrock-runtime", region_name=os.environ["B_REGION"],
    endpoint_url=os.environ["B_URL"], aws_access_key_id=os.environ["B_AK"],
    aws_secret_access_key=os.environ["B_SK"])
body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hello, world"}]})
answer = json.loads(client.invoke_model(modelId=os.environ["B_MODEL"], body=body)["body"].read())
inner = time.perf_counter() - t0
print(json.dumps({"inner": inner, "text": answer["content"][0]["text"]}))
""",
}


def _child_env(emu: Emulator) -> dict[str, str]:
    """The parent's environment minus anything AWS (no profile, no proxy detour) plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env.update(
        B_URL=emu.url, B_REGION=REGION, B_MODEL=MODEL, B_AK=emu.access_key, B_SK=emu.secret_key,
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true", PYTHONDONTWRITEBYTECODE="1",
    )  # fmt: skip
    return env


def _one_run(code: str, env: dict[str, str]) -> tuple[float, float, dict[str, Any]]:
    """Spawn one interpreter; return (wall s, CPU s of the child, what it printed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"child failed ({out.returncode}):\n{out.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(out.stdout.strip().splitlines()[-1])


def measure(runs: int) -> dict[str, dict[str, float]]:
    """Median wall, CPU and in-child times per library, runs interleaved to share noise."""
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in _CHILDREN}
    texts: dict[str, str] = {}
    with Emulator(subprocess=True) as emu:
        env = _child_env(emu)
        for name, code in _CHILDREN.items():  # warm the OS file cache once, not measured
            texts[name] = _one_run(code, env)[2]["text"]
        for _ in range(runs):
            for name, code in _CHILDREN.items():
                wall, cpu, report = _one_run(code, env)
                samples[name].append((wall, cpu, report["inner"]))
    answers = {texts[n] for n in _CHILDREN if n != "python (bare)"}
    if len(answers) != 1:
        raise RuntimeError(f"the clients got different answers: {answers}")
    return {
        name: {
            "wall_s": statistics.median(s[0] for s in rows),
            "cpu_s": statistics.median(s[1] for s in rows),
            "inner_s": statistics.median(s[2] for s in rows),
        }
        for name, rows in samples.items()
    }


def main() -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = measure(args.runs)
    sdk = results["anthropic_sdk"]
    print(f"Cold start: import + client + first InvokeModel, median of {args.runs} interpreters")
    print(
        f"  {'':<16} {'wall ms':>9} {'CPU ms':>9} {'in-child ms':>12}"
        f"   {'wall/SDK':>8} {'CPU/SDK':>8} {'in-child/SDK':>12}"
    )
    for name, row in results.items():
        print(
            f"  {name:<16} {row['wall_s'] * 1e3:9.1f} {row['cpu_s'] * 1e3:9.1f}"
            f" {row['inner_s'] * 1e3:12.1f}   {row['wall_s'] / sdk['wall_s']:8.2f}"
            f" {row['cpu_s'] / sdk['cpu_s']:8.2f}"
            f" {row['inner_s'] / sdk['inner_s']:12.2f}"
        )
    ours, boto = results["claude_bedrock"], results["boto3"]
    print(
        f"  ours / boto3: wall {ours['wall_s'] / boto['wall_s']:.2f}, "
        f"CPU {ours['cpu_s'] / boto['cpu_s']:.2f}"
    )
    return results


if __name__ == "__main__":
    main()
