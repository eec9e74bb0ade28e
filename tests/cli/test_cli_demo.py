"""`make demo` (examples/demo.py): the seed example, then models, ask with a PDF, doctor, then
invocation logging and a batch on the emulator's own S3 (the ``emulator`` extra)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pypdf
from cli_support import bare_env

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_hand_written_pdf_is_a_valid_one_page_pdf() -> None:
    sys.path.insert(0, str(DEMO.parent))
    try:
        from demo import one_page_pdf
    finally:
        sys.path.remove(str(DEMO.parent))
    reader = pypdf.PdfReader(io.BytesIO(one_page_pdf(["Revenue (Q3) grew 12%", "line \\ two"])))
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().splitlines() == ["Revenue (Q3) grew 12%", "line \\ two"]


def test_demo_runs_the_tour(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(DEMO)], env=bare_env(tmp_path),
                          capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    steps = [
        "Anthropic's Bedrock example (examples/hello.py)",
        "[TextBlock(type='text', text='[emulator] You said: \"Hello, world\"",
        "Bedrock's Messages API, both hosts (examples/messages_api.py)",
        '[emulator] You said: "Hello from bedrock-mantle"',
        "model='anthropic.claude-opus-5'",
        '[emulator] You said: "Hello from bedrock-runtime\'s Messages API"',
        "model='anthropic.claude-sonnet-5-5'",
        "The official SDK's helpers: parse and the tool runner (examples/sdk_features.py)",
        "parsed: Invoice(customer=",
        "turn: stop_reason=tool_use tools=['get_weather']",
        "turn: stop_reason=tool_use tools=['get_time']",
        "turn: stop_reason=end_turn tools=[]",
        "final: [emulator] Received 2 tool result(s)",
        "$ claude-bedrock models",
        "global.anthropic.claude-opus-4-6-v1",
        "$ claude-bedrock ask --pdf q3-report.pdf --model sonnet",
        '[emulator] You said: "Q3 report: revenue grew 12% to 4.2M EUR.',
        "$ claude-bedrock doctor",
        "arn:aws:iam::123456789012:user/default",
        "✓ no problem found",
        "$ claude-bedrock run questions.jsonl --model haiku -o answers.jsonl",
        "20 lines in answers.jsonl; line-1: [emulator]",
        "$ claude-bedrock logging enable --s3-bucket demo-invocation-logs",
        "Invocation logging is on.",
        '[emulator] You said: "Log this call, please."',
        "$ claude-bedrock logs report",
        "Invocation logs s3://demo-invocation-logs/",
        "Total: 1 invocations (0 failed)",
        "Invocation logging is off.",
        "$ claude-bedrock batch submit prompts.jsonl --model haiku",
        "msgbatch_",
        "ended (Completed): 100/100 processed, 100 succeeded",
        'first result: line-1 succeeded: [emulator] You said: "What is 1 squared?"',
        "✓ emulator stopped",
    ]
    positions = [out.find(step) for step in steps]
    assert -1 not in positions, [s for s, p in zip(steps, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    assert "(global endpoint)" in done.stderr  # ask's usage line
    # The seed's printed Opus 4.6 ID is mended, with a warning that names both IDs.
    assert "'global.anthropic.claude-opus-4-6-v1:0' is refused by Bedrock" in done.stderr
    assert "sending 'global.anthropic.claude-opus-4-6-v1'" in done.stderr
    assert "100 results (100 succeeded) written to" in done.stderr
    assert "20 succeeded, 0 errored, 0 malformed lines" in done.stderr  # run's summary
