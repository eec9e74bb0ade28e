"""`make demo`: the example of Anthropic's guide to Claude on Amazon Bedrock (examples/hello.py,
whose Opus 4.6 ID Bedrock refuses as printed: the client mends it and says so), a call to
a current model through each of Bedrock's Messages APIs (examples/messages_api.py), the
official SDK's structured outputs and tool runner (examples/sdk_features.py), then a short
tour of the command line, all on the embedded Bedrock emulator.

The emulator runs in its own process on a free loopback port; every step runs as a separate
program that knows nothing of it: each finds the emulator the way it would find any
Bedrock endpoint, through the standard AWS environment variables (what
``eval "$(claude-bedrock serve --env)"`` sets in a shell).

Tour: ``claude-bedrock models`` (the IDs to use from the Region), ``claude-bedrock ask``
with a one-page PDF written on the fly, ``claude-bedrock doctor`` (the set-up checks) and
``claude-bedrock run`` (20 prompts on demand, the results file its own checkpoint).
Only runtime dependencies are used: the PDF is written by hand, not with reportlab.

Then what needs S3, on the emulator's own S3 (SeaweedFS, the ``emulator`` extra: ``serve``
starts it, ``AWS_ENDPOINT_URL_S3`` points the tools at it): invocation logging (``logging
enable``, one call, ``logs report`` reading its record back from S3, ``logging disable``)
and a batch of 100 prompts, Bedrock's minimum per job (``batch submit``, ``status``,
``results``). No bucket is created by hand: the embedded S3 creates them on first use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rich.console import Console

from claude_bedrock.emulator import Emulator

HERE = Path(__file__).resolve().parent
CLI = [sys.executable, "-m", "claude_bedrock"]
REGION = "us-west-2"  # the Region of Anthropic's example (examples/hello.py)
console = Console()


def run(title: str, argv: list[str], env: dict[str, str], shown: str | None = None) -> None:
    console.rule(f"[bold]{title}")
    console.print(f"[dim]$ {shown or ' '.join(argv)}[/dim]")
    result = subprocess.run(argv, env=env, check=False)
    if result.returncode != 0:
        console.print(f"[red]✗ {title} failed with exit code {result.returncode}[/red]")
        sys.exit(result.returncode)


def run_capture(title: str, argv: list[str], env: dict[str, str], shown: str) -> str:
    """Like :func:`run`, and return what the command printed on stdout (also shown)."""
    console.rule(f"[bold]{title}")
    console.print(f"[dim]$ {shown}[/dim]")
    result = subprocess.run(argv, env=env, check=False, stdout=subprocess.PIPE, text=True)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        console.print(f"[red]✗ {title} failed with exit code {result.returncode}[/red]")
        sys.exit(result.returncode)
    return result.stdout


def one_page_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF (1.4) showing ``lines`` in Helvetica, written by hand."""
    text = " T* ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj"
        for line in lines
    )
    stream = f"BT /F1 14 Tf 16 TL 72 720 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tour(env: dict[str, str], workdir: Path) -> None:
    run("claude-bedrock models: the model IDs to use from " + REGION,
        [*CLI, "models"], env, "claude-bedrock models")  # fmt: skip
    report = workdir / "q3-report.pdf"
    report.write_bytes(
        one_page_pdf([
            "Q3 report: revenue grew 12% to 4.2M EUR.",
            "Bedrock usage doubled; invocation logging keeps 30 days.",
        ])
    )  # fmt: skip
    question = "Summarise this report in one sentence."
    run("claude-bedrock ask, with a PDF made on the fly",
        [*CLI, "ask", "--pdf", str(report), "--model", "sonnet", question], env,
        f'claude-bedrock ask --pdf {report.name} --model sonnet "{question}"')  # fmt: skip
    run("claude-bedrock doctor: the set-up checks", [*CLI, "doctor"], env,
        "claude-bedrock doctor")  # fmt: skip
    prompts = workdir / "questions.jsonl"
    prompts.write_text("".join(f"What is {n} cubed?\n" for n in range(1, 21)), encoding="utf-8")
    results = workdir / "answers.jsonl"
    argv = [*CLI, "run", str(prompts), "--model", "haiku", "-o", str(results), "--yes"]
    run("claude-bedrock run: on-demand bulk, at the quota's pace, resumable", argv, env,
        "claude-bedrock run questions.jsonl --model haiku -o answers.jsonl")  # fmt: skip
    lines = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    first = next(r for r in lines if r["custom_id"] == "line-1")  # written as they finish
    text = first["result"]["message"]["content"][0]["text"]
    console.print(f"{len(lines)} lines in answers.jsonl; "
                  f"{first['custom_id']}: {text}", markup=False)  # fmt: skip


def wait_logs_delivered(url: str, count: int) -> None:
    """Logs are delivered in the background (every 0.2 s): wait until ``count`` are in S3."""
    for _ in range(100):
        with urllib.request.urlopen(url + "/_emulator/invocation-logging") as answer:
            if json.load(answer).get("delivered", 0) >= count:
                return
        time.sleep(0.1)


def s3_features(env: dict[str, str], workdir: Path, url: str) -> None:
    """Invocation logging and a small batch, on the emulator's own S3."""
    run("claude-bedrock logging enable: invocation logs to S3",
        [*CLI, "logging", "enable", "--s3-bucket", "demo-invocation-logs"], env,
        "claude-bedrock logging enable --s3-bucket demo-invocation-logs")  # fmt: skip
    run("One call, logged", [*CLI, "ask", "--model", "haiku", "Log this call, please."], env,
        'claude-bedrock ask --model haiku "Log this call, please."')  # fmt: skip
    wait_logs_delivered(url, 1)
    run("claude-bedrock logs report: the call's record, read back from S3",
        [*CLI, "logs", "report"], env, "claude-bedrock logs report")  # fmt: skip
    run("claude-bedrock logging disable", [*CLI, "logging", "disable"], env,
        "claude-bedrock logging disable")  # fmt: skip
    prompts = workdir / "prompts.jsonl"
    prompts.write_text("".join(f"What is {n} squared?\n" for n in range(1, 101)))
    role = "arn:aws:iam::123456789012:role/BedrockBatch"
    batch_id = run_capture(
        "claude-bedrock batch submit: 100 prompts (Bedrock's minimum per job)",
        [*CLI, "batch", "submit", str(prompts), "--model", "haiku", "--max-tokens", "64",
         "--bucket", "s3://demo-batches/jobs", "--role-arn", role, "--yes"], env,
        "claude-bedrock batch submit prompts.jsonl --model haiku --max-tokens 64 "
        f"--bucket s3://demo-batches/jobs --role-arn {role} --yes",
    ).strip()  # fmt: skip
    run("claude-bedrock batch status --watch", [*CLI, "batch", "status", batch_id, "--watch",
        "--interval", "0.2"], env, f"claude-bedrock batch status {batch_id} --watch")  # fmt: skip
    results = workdir / "results.jsonl"
    run("claude-bedrock batch results", [*CLI, "batch", "results", batch_id, "-o", str(results)],
        env, f"claude-bedrock batch results {batch_id} -o results.jsonl")  # fmt: skip
    first = json.loads(results.read_text().splitlines()[0])
    console.print(f"first result: {first['custom_id']} {first['result']['type']}: "
                  f"{first['result']['message']['content'][0]['text']}", markup=False)  # fmt: skip


def main() -> None:
    with Emulator(subprocess=True, s3="embedded") as emu:
        console.print(
            f"[green]✓[/green] Bedrock emulator (deterministic engine, not Claude) "
            f"listening on {emu.url}"
        )
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": emu.url,
            # bedrock-mantle's Messages API: the emulator serves it on the same port.
            "ANTHROPIC_BEDROCK_MANTLE_BASE_URL": emu.url + "/anthropic",
            "AWS_ACCESS_KEY_ID": emu.access_key,
            "AWS_SECRET_ACCESS_KEY": emu.secret_key,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            # The emulator's own S3 (it accepts the emulator's keys).
            "AWS_ENDPOINT_URL_S3": emu.s3_endpoint_url or "",
            # Under make the output is no terminal and rich would assume 80 columns, which
            # folds the models table into a column of fragments: give it room.
            "COLUMNS": os.environ.get("COLUMNS")
            or str(max(shutil.get_terminal_size().columns, 150)),
        }
        for name in ("AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE"):
            env.pop(name, None)
        run("Anthropic's Bedrock example (examples/hello.py)",
            [sys.executable, str(HERE / "hello.py")], env)  # fmt: skip
        run("Bedrock's Messages API, both hosts (examples/messages_api.py)",
            [sys.executable, str(HERE / "messages_api.py")], env)  # fmt: skip
        run("The official SDK's helpers: parse and the tool runner (examples/sdk_features.py)",
            [sys.executable, str(HERE / "sdk_features.py")], env)  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="claude-bedrock-demo-") as workdir:
            tour(env, Path(workdir))
            s3_features(env, Path(workdir), emu.url)
    console.print("[green]✓[/green] emulator stopped")


if __name__ == "__main__":
    main()
