"""The command line as a whole: entry points, --help everywhere, exit codes, completion."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_support import ENTRY, SCRIPT, bare_env, run

COMMANDS = ["ask", "chat", "doctor", "serve"]


def test_both_entry_points_print_the_same_help(tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    module = run(["--help"], env)
    script = subprocess.run([str(SCRIPT), "--help"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert module.returncode == script.returncode == 0
    assert module.stdout == script.stdout
    for command in COMMANDS:
        assert f" {command} " in module.stdout
    assert "Exit codes: 0 ok, 1 Bedrock error" in module.stdout


def test_no_arguments_shows_help(tmp_path: Path) -> None:
    result = run([], bare_env(tmp_path))
    assert "Usage: claude-bedrock" in result.stdout + result.stderr
    assert result.returncode == 2


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("ask", ["--model", "--system", "--max-tokens", "--pdf", "--image", "--context-1m",
                 "--api", "--endpoint", "--region", "--endpoint-url", "--quiet", "--output"]),
        ("chat", ["--model", "--system", "--max-tokens", "--api", "--endpoint", "--region"]),
        ("doctor", ["--region", "--profile", "--endpoint-url", "--probe", "--output"]),
        ("serve", ["--port", "--credentials-file", "--pace", "--env"]),
    ],
)  # fmt: skip
def test_every_command_has_help(command: str, options: list[str], tmp_path: Path) -> None:
    result = run([command, "--help"], bare_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"Usage: claude-bedrock {command}" in result.stdout
    for option in options:
        assert option in result.stdout, option


def test_version(tmp_path: Path) -> None:
    from claude_bedrock import __version__

    result = run(["--version"], bare_env(tmp_path))
    assert (result.returncode, result.stdout) == (0, f"claude-bedrock {__version__}\n")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    unknown = run(["ask", "hi", "--no-such-option"], env)
    bad_choice = run(["ask", "hi", "--api", "soap"], env)
    missing_file = run(["ask", "hi", "--pdf", str(tmp_path / "missing.pdf")], env)
    assert unknown.returncode == bad_choice.returncode == missing_file.returncode == 2
    assert "No such option" in unknown.stderr
    assert "soap" in bad_choice.stderr
    assert "missing.pdf" in missing_file.stderr


def test_shell_completion(tmp_path: Path) -> None:
    """typer's completion protocol: what bash asks when the user presses TAB."""

    def complete(words: str, cword: int) -> list[str]:
        env = bare_env(tmp_path, _CLAUDE_BEDROCK_COMPLETE="complete_bash", COMP_WORDS=words,
                       COMP_CWORD=str(cword))  # fmt: skip
        done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("claude-bedrock do", 1) == ["doctor"]
    assert complete("claude-bedrock ask --surface ", 3) == [
        "invoke",
        "converse",
        "messages",
        "mantle",
    ]
    assert complete("claude-bedrock ask --api ", 3) == ["invoke", "converse", "messages", "mantle"]
    # `--show-completion` itself detects the shell from the process tree (shellingham), which
    # depends on how the tests were launched; the completion protocol above is what matters.
    assert "--install-completion" in run(["--help"], bare_env(tmp_path)).stdout


def test_module_entry_is_the_package_main() -> None:
    assert ENTRY[1:] == ["-m", "claude_bedrock"]
    assert SCRIPT.exists(), "the console script is installed with the package"
