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
with a one-page PDF written on the fly, and ``claude-bedrock doctor`` (the set-up checks).
Only runtime dependencies are used: the PDF is written by hand, not with reportlab.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


def main() -> None:
    with Emulator(subprocess=True) as emu:
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
    console.print("[green]✓[/green] emulator stopped")


if __name__ == "__main__":
    main()
