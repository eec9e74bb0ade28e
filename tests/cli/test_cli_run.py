"""``claude-bedrock run``: as a user runs it (``python -m claude_bedrock`` in a clean
environment) against the emulator; the results file as its checkpoint, down to ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from cli_support import ENTRY, emulator_env, run

from claude_bedrock.emulator import Emulator

MODEL = "global.anthropic.claude-opus-4-6-v1"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _prompts(n: int) -> list[str]:
    return [
        json.dumps({"custom_id": f"q{i}", "prompt": f"say {i} emulator:tokens=3"}) for i in range(n)
    ]


def _results(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_bad_lines_are_results_and_a_rerun_sends_nothing_twice(
    bedrock_emulator: Emulator, tmp_path: Path
) -> None:
    prompts = _write(tmp_path / "p.jsonl", [
        *_prompts(5),
        "{broken",
        json.dumps({"custom_id": "neg", "params": {"max_tokens": 64, "temperature": 9,
                    "messages": [{"role": "user", "content": "hi"}]}}),
        "a bare prompt emulator:tokens=2",
        json.dumps({"custom_id": "x", "params": {"max_tokens": "x", "messages": []}}),
    ])  # fmt: skip
    out = tmp_path / "r.jsonl"
    env = emulator_env(bedrock_emulator, tmp_path)
    done = run(["run", str(prompts), "-m", MODEL, "-o", str(out)], env)
    assert done.returncode == 1, done.stderr  # one record refused, two malformed lines
    rows = {r["custom_id"]: r for r in _results(out)}
    assert set(rows) == {"q0", "q1", "q2", "q3", "q4", "line-6", "neg", "line-8", "line-9"}
    assert rows["line-6"]["line"] == 6
    assert rows["line-6"]["result"]["error"]["error"]["type"] == "invalid_input"  # type: ignore[index]
    assert "max_tokens" in rows["line-9"]["result"]["error"]["error"]["message"]  # type: ignore[index]
    assert rows["neg"]["result"]["error"]["error"]["type"] == "ValidationException"  # type: ignore[index]
    assert "2 malformed lines" in done.stderr
    again = run(["run", str(prompts), "-m", MODEL, "-o", str(out), "--output", "json"], env)
    summary = json.loads(again.stdout)
    assert summary["already_done"] == 7 and summary["succeeded"] == 0
    assert len(_results(out)) == 9


def test_a_cut_last_line_is_dropped_and_redone(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    prompts = _write(tmp_path / "p.jsonl", _prompts(4))
    out = tmp_path / "r.jsonl"
    env = emulator_env(bedrock_emulator, tmp_path)
    assert run(["run", str(prompts), "-m", MODEL, "-o", str(out)], env).returncode == 0
    text = out.read_text(encoding="utf-8")
    out.write_text(text[: len(text) - 40], encoding="utf-8")  # a crash mid-write
    second = run(["run", str(prompts), "-m", MODEL, "-o", str(out), "--output", "json"], env)
    assert json.loads(second.stdout)["succeeded"] == 1
    ids = [r["custom_id"] for r in _results(out)]
    assert sorted(ids) == ["q0", "q1", "q2", "q3"]


def test_confirmation_and_bad_fallbacks_stop_before_sending(
    bedrock_emulator: Emulator, tmp_path: Path
) -> None:
    prompts = _write(tmp_path / "p.jsonl", _prompts(3))
    out = tmp_path / "r.jsonl"
    env = emulator_env(bedrock_emulator, tmp_path)
    costly = run(["run", str(prompts), "-m", MODEL, "-o", str(out), "--confirm-above", "0"], env)
    assert costly.returncode == 2 and "is above $0.00" in costly.stderr
    bad = run(["run", str(prompts), "-m", MODEL, "-o", str(out),
               "--fallback", "anthropic.claude-mythos-5"], env)  # fmt: skip
    assert bad.returncode == 2 and "not served on invoke" in bad.stderr + bad.stdout
    assert not out.exists() or out.read_text() == ""


def test_kill_9_half_way_then_rerun_gives_every_record_once(
    bedrock_emulator: Emulator, tmp_path: Path
) -> None:
    n = 1500
    prompts = _write(tmp_path / "p.jsonl", _prompts(n))
    out = tmp_path / "r.jsonl"
    env = emulator_env(bedrock_emulator, tmp_path)
    args = [*ENTRY, "run", str(prompts), "-m", MODEL, "-o", str(out), "--yes"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        waited = 0.0
        while waited < 120 and (not out.exists() or out.stat().st_size < 50_000):
            time.sleep(0.05)
            waited += 0.05
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    first = len(out.read_text(encoding="utf-8").splitlines())
    assert 0 < first < n  # killed half-way
    rerun = run(["run", str(prompts), "-m", MODEL, "-o", str(out), "--yes"], env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    ids = [r["custom_id"] for r in _results(out)]
    assert len(ids) == n and set(ids) == {f"q{i}" for i in range(n)}
