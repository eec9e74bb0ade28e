"""``claude-bedrock chat`` driven through a pseudo-terminal, as a person types it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from cli_support import ENTRY, emulator_env

from claude_bedrock.emulator import Emulator

PROMPT = "you> "
USAGE = re.compile(r"(\d+) in / (\d+) out tokens · \$(\d+\.\d+)")
COST = re.compile(r"(\d+) answers? · (\d+) in / (\d+) out tokens · \$(\d+\.\d+)")


@pytest.fixture(scope="module")
def paced() -> Iterator[Emulator]:
    """Slow answers (40 tokens/s), so Ctrl-C lands in the middle of one."""
    # Short shutdown: the emulator keeps generating for a client that hung up (see report).
    with Emulator(pace=40, shutdown_timeout=0.5) as emulator:
        yield emulator


def spawn(emulator: Emulator, home: Path, *args: str) -> pexpect.spawn:
    env = emulator_env(emulator, home)
    child = pexpect.spawn(ENTRY[0], [*ENTRY[1:], "chat", *args], env=env, encoding="utf-8",
                          timeout=30, dimensions=(40, 200))  # fmt: skip
    child.expect_exact(PROMPT)
    return child


def say(child: pexpect.spawn, line: str) -> str:
    """Type a line; return everything printed until the next prompt."""
    child.sendline(line)
    child.expect_exact(PROMPT)
    return str(child.before)


def leave(child: pexpect.spawn, how: str = "/quit") -> str:
    if how == "eof":
        child.sendeof()
    else:
        child.sendline(how)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return str(child.before)


def test_a_session(paced: Emulator, tmp_path: Path) -> None:
    child = spawn(paced, tmp_path, "--model", "haiku")
    first = say(child, "Hello there")
    assert 'You said: "Hello there"' in first
    used = USAGE.search(first)
    assert used is not None
    second = say(child, "And again")
    assert 'You said: "And again"' in second
    used_again = USAGE.search(second)
    assert used_again is not None
    # the history goes with every turn: the second question costs more input
    assert int(used_again[1]) > int(used[1])

    cost = COST.search(say(child, "/cost"))
    assert cost is not None
    assert cost[1] == "2"
    assert int(cost[2]) == int(used[1]) + int(used_again[1])
    assert int(cost[3]) == int(used[2]) + int(used_again[2])
    assert float(cost[4]) == pytest.approx(float(used[3]) + float(used_again[3]), abs=2e-6)

    saved = tmp_path / "conversation.json"
    assert f"saved 4 messages to {saved}" in say(child, f"/save {saved}")
    data = json.loads(saved.read_text())
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "user", "assistant"]
    assert data["messages"][2]["content"] == "And again"
    assert 'You said: "And again"' in data["messages"][3]["content"][0]["text"]
    assert data["usage"] == {"input_tokens": int(cost[2]), "output_tokens": int(cost[3])}

    farewell = leave(child)
    assert "session: 2 answers" in farewell


def test_ctrl_c_cancels_the_answer_not_the_session(paced: Emulator, tmp_path: Path) -> None:
    child = spawn(paced, tmp_path)
    child.sendline("Tell me everything emulator:tokens=4000")
    child.expect_exact("filler")  # the answer is streaming
    child.sendintr()
    child.expect_exact("[answer cancelled]")
    child.expect_exact(PROMPT)
    after = say(child, "Still there?")
    assert 'You said: "Still there?"' in after
    saved = tmp_path / "after-cancel.json"
    say(child, f"/save {saved}")
    messages = json.loads(saved.read_text())["messages"]
    # the cancelled question is not in the history: turns still alternate
    assert [m["content"] if m["role"] == "user" else "answer" for m in messages] == [
        "Still there?",
        "answer",
    ]
    child.sendintr()  # at the prompt: a hint, the session goes on
    child.expect_exact("/quit or Ctrl-D leaves")
    child.expect_exact(PROMPT)
    assert "session: 1 answer" in leave(child, "eof")


def test_model_and_system_commands(paced: Emulator, tmp_path: Path) -> None:
    child = spawn(paced, tmp_path, "--model", "haiku")
    assert "model: haiku (global.anthropic.claude-haiku-5-5)" in say(child, "/model")
    changed = say(child, "/model opus-4.6")
    assert "model: opus-4.6 (global.anthropic.claude-opus-4-6-v1)" in changed
    assert "claude-opus-4-6 · " in say(child, "Which model?")
    refused = say(child, "/model sonet-4.5!")  # not a model ID (unknown IDs are sent)
    assert "is not a valid Bedrock model identifier" in refused
    assert "claude-opus-4-6 · " in say(child, "Still opus?")

    assert "system prompt: (none)" in say(child, "/system")
    assert "system prompt set" in say(child, "/system Answer in French.")
    assert "system prompt: Answer in French." in say(child, "/system")
    with_system, without = tmp_path / "with.json", tmp_path / "without.json"
    say(child, f"/save {with_system}")
    assert "system prompt cleared" in say(child, "/system off")
    say(child, f"/save {without}")
    assert json.loads(with_system.read_text())["system"] == "Answer in French."
    assert "system" not in json.loads(without.read_text())
    markdown = tmp_path / "chat.md"
    say(child, f"/save {markdown}")
    text = markdown.read_text()
    assert text.startswith("# Chat with opus-4.6\n")
    assert "**You:**\n\nStill opus?" in text
    assert "unknown command /nope" in say(child, "/nope")
    assert "/save FILE" in say(child, "/help")
    assert "conversation cleared" in say(child, "/clear")
    plain = USAGE.search(say(child, "Hello"))
    say(child, "/clear")
    say(child, "/system Answer in French.")
    directed = USAGE.search(say(child, "Hello"))
    assert plain is not None and directed is not None
    assert int(directed[1]) > int(plain[1])  # the system prompt is sent
    leave(child)


def test_bad_model_at_start_exits_4(paced: Emulator, tmp_path: Path) -> None:
    env = emulator_env(paced, tmp_path)
    child = pexpect.spawn(ENTRY[0], [*ENTRY[1:], "chat", "--model", "no!pe"], env=env,
                          encoding="utf-8", timeout=30)  # fmt: skip
    child.expect_exact("is not a valid Bedrock model identifier")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4


def test_errors_keep_the_session(paced: Emulator, tmp_path: Path) -> None:
    child = spawn(paced, tmp_path, "--model", "haiku", "--max-tokens", "200000")
    refused = say(child, "too many tokens please")
    assert "error:" in refused
    assert "[emulator]" not in refused
    saved = tmp_path / "empty.json"
    assert "saved 0 messages" in say(child, f"/save {saved}")
    leave(child)
