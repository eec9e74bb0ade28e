"""``claude-bedrock run``: as a user runs it (``python -m claude_bedrock`` in a clean
environment) against the emulator; the results file as its checkpoint, down to ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

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


def _faulty(custom_id: str, fault: str | None, key: str) -> str:
    """A params line whose calls carry the emulator's fault header (``FAULT*N``: the first
    N calls with this key fail, the later ones succeed)."""
    message = {"role": "user", "content": f"{custom_id} emulator:tokens=3"}
    params: dict[str, object] = {"max_tokens": 64, "messages": [message]}
    if fault is not None:
        params["extra_headers"] = {"x-emulator-fault": fault, "x-emulator-fault-key": key}
    return json.dumps({"custom_id": custom_id, "params": params})


_INVALID = json.dumps({"custom_id": "neg", "params": {"max_tokens": 64, "temperature": 9,
                       "messages": [{"role": "user", "content": "hi"}]}})  # fmt: skip


def _by_id(path: Path) -> dict[str, list[dict[str, object]]]:
    rows: dict[str, list[dict[str, object]]] = {}
    for row in _results(path):
        rows.setdefault(str(row["custom_id"]), []).append(row)
    return rows


def _kind(row: dict[str, object]) -> str:
    result = row["result"]
    assert isinstance(result, dict)
    if result["type"] == "succeeded":
        return "succeeded"
    return str(result["error"]["error"]["type"])


def test_retry_errors_sends_retryable_errors_again_and_replaces_their_lines(
    bedrock_emulator: Emulator, tmp_path: Path
) -> None:
    key = tmp_path.name
    # 500 and 408 fail all 3 attempts of the first run's call (max_retries=2), then succeed.
    prompts = _write(tmp_path / "p.jsonl", [
        _faulty("ok", None, key), _faulty("e500", "500*3", f"{key}-a"),
        _faulty("e408", "408*3", f"{key}-b"), _INVALID,
    ])  # fmt: skip
    out = tmp_path / "r.jsonl"
    env = emulator_env(bedrock_emulator, tmp_path)
    base = ["run", str(prompts), "-m", MODEL, "-o", str(out), "--output", "json"]
    first = run(base, env)
    assert first.returncode == 1, first.stderr
    rows = _by_id(out)
    assert {k: _kind(v[0]) for k, v in rows.items()} == {
        "ok": "succeeded", "e500": "InternalServerException",
        "e408": "ModelTimeoutException", "neg": "ValidationException",
    }  # fmt: skip
    plain = json.loads(run(base, env).stdout)  # without the flag, an error is final
    assert plain["already_done"] == 4 and plain["retried"] == 0
    retried = run([*base, "--retry-errors"], env)
    assert retried.returncode == 0, retried.stderr  # the validation error is not sent
    summary = json.loads(retried.stdout)
    assert (summary["retried"], summary["still_failed"], summary["succeeded"]) == (2, 0, 2)
    assert summary["already_done"] == 2
    rows = _by_id(out)  # compacted: one line per record, the new one
    assert {k: [_kind(r) for r in v] for k, v in rows.items()} == {
        "ok": ["succeeded"], "e500": ["succeeded"], "e408": ["succeeded"],
        "neg": ["ValidationException"],
    }  # fmt: skip
    again = json.loads(run([*base, "--retry-errors"], env).stdout)
    assert again["retried"] == 0 and again["already_done"] == 4
    every = run([*base, "--retry-all-errors"], env)
    assert every.returncode == 1
    summary = json.loads(every.stdout)
    assert (summary["retried"], summary["still_failed"], summary["errored"]) == (1, 1, 1)
    assert [_kind(r) for r in _by_id(out)["neg"]] == ["ValidationException"]
    assert len(_results(out)) == 4


def test_kill_9_during_a_retry_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """Killed after some retries were appended (the last record's call held by the
    emulator, so the moment is forced, not timed), the file keeps old and new lines; the
    next run reads the last per record, retries only what still failed, and compacts.
    The emulator is this test's own: the held call is nobody else's in-flight request."""
    with Emulator(faults=True) as emulator:
        _kill_during_retries(emulator, tmp_path)


def _kill_during_retries(bedrock_emulator: Emulator, tmp_path: Path) -> None:
    key = tmp_path.name
    ids = [f"r{i}" for i in range(5)]
    prompts = tmp_path / "p.jsonl"
    _write(prompts, [*(_faulty(i, "500*3", f"{key}-{i}") for i in ids), _INVALID])
    out = tmp_path / "r.jsonl"
    env = emulator_env(bedrock_emulator, tmp_path)
    assert run(["run", str(prompts), "-m", MODEL, "-o", str(out)], env).returncode == 1
    assert len(_results(out)) == 6
    # The rerun: r0..r3 now succeed, r4's call is held for long past the kill.
    held = _faulty("r4", "slow-first-byte=600", f"{key}-held")
    _write(prompts, [*(_faulty(i, None, key) for i in ids[:4]), held, _INVALID])
    args = [*ENTRY, "run", str(prompts), "-m", MODEL, "-o", str(out), "--yes",
            "--retry-errors", "--concurrency", "8"]  # fmt: skip
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        waited = 0.0
        while waited < 120 and len(out.read_bytes().splitlines()) < 10:
            time.sleep(0.05)
            waited += 0.05
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    killed = _by_id(out)
    assert {k: [_kind(r) for r in v] for k, v in killed.items()} == {
        **{i: ["InternalServerException", "succeeded"] for i in ids[:4]},
        "r4": ["InternalServerException"], "neg": ["ValidationException"],
    }  # fmt: skip
    _write(prompts, [*(_faulty(i, None, key) for i in ids), _INVALID])
    stale = out.with_name(out.name + ".compact")  # as a kill during compaction leaves it
    stale.write_text('{"custom_id": "r0", "result": {"type": "half-written"', encoding="utf-8")
    rerun = run(["run", str(prompts), "-m", MODEL, "-o", str(out), "--retry-errors",
                 "--output", "json"], env)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert (summary["retried"], summary["succeeded"], summary["already_done"]) == (1, 1, 5)
    rows = _by_id(out)
    assert {k: [_kind(r) for r in v] for k, v in rows.items()} == {
        **{i: ["succeeded"] for i in ids}, "neg": ["ValidationException"],
    }  # fmt: skip
    assert not stale.exists()


def test_a_second_run_on_the_same_results_is_refused_while_the_first_runs(
    tmp_path: Path,
) -> None:
    """The first run holds the file (one record answered, one held by the emulator, so it
    is forced to be running); a second is refused with a usage error and sends nothing;
    once the first is killed, a rerun finishes the job, every record once."""
    with Emulator(faults=True) as emulator:
        key = tmp_path.name
        prompts = tmp_path / "p.jsonl"
        held = _faulty("slow", "slow-first-byte=600", f"{key}-held")
        _write(prompts, [_faulty("fast", None, key), held])
        out = tmp_path / "r.jsonl"
        env = emulator_env(emulator, tmp_path)
        args = ["run", str(prompts), "-m", MODEL, "-o", str(out), "--yes"]
        first = subprocess.Popen([*ENTRY, *args], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            waited = 0.0
            while waited < 120 and (not out.exists() or not out.read_bytes()):
                time.sleep(0.05)
                waited += 0.05
            second = run(args, env)
            assert second.returncode == 2, second.stderr
            assert "another claude-bedrock run is writing" in second.stderr
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        assert [r["custom_id"] for r in _results(out)] == ["fast"]
        _write(prompts, [_faulty("fast", None, key), _faulty("slow", None, key)])
        assert run(args, env).returncode == 0
        assert sorted(str(r["custom_id"]) for r in _results(out)) == ["fast", "slow"]


def test_the_results_file_keeps_the_last_line_of_each_record_in_file_order(
    tmp_path: Path,
) -> None:
    """The file itself (no calls): lines not ours stay where they were; a record's last
    line replaces the earlier ones, across a compaction on opening and one on closing."""
    from claude_bedrock.cli._results_file import ResultsFile

    tight: dict[str, Any] = {"separators": (",", ":")}  # as the file writes them

    def line(custom_id: str, status: int | None) -> str:
        if status is None:
            return json.dumps({"custom_id": custom_id, "result": {"type": "succeeded"}}, **tight)
        error = {"type": "X", "message": "m", "bedrock_error_code": status}
        result = {"type": "errored", "error": {"type": "error", "error": error}}
        return json.dumps({"custom_id": custom_id, "result": result}, **tight)

    out = _write(tmp_path / "r.jsonl", [
        line("a", 500), "not json at all", line("b", 400), line("c", 500), line("a", None),
    ])  # fmt: skip
    sink = ResultsFile(out)  # compacts on opening: "a" had two lines
    assert out.read_text(encoding="utf-8").splitlines() == [
        "not json at all",
        line("b", 400),
        line("c", 500),
        line("a", None),
    ]
    assert set(sink.done) == {"a", "b", "c"} and set(sink.errors) == {"b", "c"}
    sink.write(json.loads(line("c", None)))
    sink.write(json.loads(line("d", 503)))
    sink.write(json.loads(line("d", None)))
    assert sink.superseded == 2 and set(sink.errors) == {"b"}
    sink.close()
    assert out.read_text(encoding="utf-8").splitlines() == [
        "not json at all",
        line("b", 400),
        line("a", None),
        line("c", None),
        line("d", None),
    ]
