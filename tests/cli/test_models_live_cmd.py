"""``claude-bedrock models`` with live lists: ``--refresh``, the cache, ``--check``, and a
table that stays legible at 80 columns and in a pipe.

Run as users run it (``python -m claude_bedrock``, a subprocess, so stdout is a pipe),
against the in-process emulator with an account whose lists differ from the catalogue
(:mod:`live_account`). Each test has its own HOME, hence its own cache directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import emulator_env, run

from claude_bedrock.catalog import Catalog
from claude_bedrock.emulator import Emulator
from live_account import Account, account_emulator

REGION = "us-east-1"
HAIKU_45 = next(m.id for m in Catalog.default().models() if m.name == "Claude Haiku 4.5")
WIDTH = 80


@pytest.fixture(scope="module")
def account() -> Account:
    return Account()


@pytest.fixture(scope="module")
def emulator(account: Account) -> Iterator[Emulator]:
    yield from account_emulator(account)


@pytest.fixture(autouse=True)
def _reset(account: Account) -> None:
    account.reset()


def _env(emulator: Emulator, home: Path, **extra: str) -> dict[str, str]:
    return emulator_env(emulator, home, AWS_REGION=REGION, NO_COLOR="1", **extra)


def _models(env: dict[str, str], *args: str) -> Any:
    result = run(["models", *args], env)
    assert result.returncode in (0, 1), result.stderr
    return result


def _json(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = _models(env, *args, "-o", "json")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_check_reports_a_profile_missing_from_the_live_list(
    emulator: Emulator, account: Account, tmp_path: Path
) -> None:
    account.drop_profiles.add(f"us.{HAIKU_45}")
    text = run(["models", "--check"], _env(emulator, tmp_path / "a"))
    assert text.returncode == 1, text.stderr
    line = next(x for x in text.stdout.splitlines() if f"us.{HAIKU_45}" in x and "profile" in x)
    assert "profile-not-listed" in line and "not listed by Bedrock" in line

    doc = run(["models", "--check", "-o", "json"], _env(emulator, tmp_path / "a"))
    assert doc.returncode == 1
    differences = json.loads(doc.stdout)["differences"]
    assert {"kind": "profile-not-listed", "model": HAIKU_45, "profile": f"us.{HAIKU_45}"} in [
        {k: d[k] for k in ("kind", "model", "profile")} for d in differences
    ]


def test_check_agrees_with_an_account_that_matches_the_catalogue(
    emulator: Emulator, tmp_path: Path
) -> None:
    result = run(["models", "--check"], _env(emulator, tmp_path))
    assert result.returncode == 0, result.stdout
    assert "agree" in result.stdout.splitlines()[-1]


def test_the_cache_is_used_until_refresh_and_its_age_is_shown(
    emulator: Emulator, account: Account, tmp_path: Path
) -> None:
    env = _env(emulator, tmp_path, COLUMNS="250")
    first = _models(env)
    assert "fetched now" in first.stdout.splitlines()[0]
    lists_calls = account.calls["ListFoundationModels"]
    second = _models(env)
    title = second.stdout.splitlines()[0]
    assert "from the cache" in title and re.search(r"\d+ (s|min) old", title)
    assert account.calls["ListFoundationModels"] == lists_calls  # nothing sent
    third = _json(env, "--refresh")
    assert third["live"]["source"] == "bedrock" and account.calls["ListFoundationModels"] > 1
    cache = tmp_path / ".cache" / "claude-bedrock" / "models" / third["live"]["account"]
    assert third["live"]["cache_path"] == str(cache / f"{REGION}.json")
    assert third["live"]["age_seconds"] >= 0 and third["live"]["fetched_at"]


@pytest.mark.parametrize("columns", ["80", None], ids=["COLUMNS=80", "pipe"])
def test_table_fits_80_columns_and_pipes(
    emulator: Emulator, tmp_path: Path, columns: str | None
) -> None:
    env = _env(emulator, tmp_path)
    env.pop("COLUMNS")
    if columns is not None:
        env["COLUMNS"] = columns
    models = _json(env, "--refresh")["models"]
    out = _models(env).stdout
    assert "\u2026" not in out  # nothing cut
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    blocks = _blocks(out)
    assert [b[0] for b in blocks] == [m["name"] for m in models]
    for model, (_, fields) in zip(models, blocks, strict=True):
        assert set(fields) == {"runtime", "mantle", "profiles"}
        assert all(value.strip() for value in fields.values())  # no empty cell
        if model["recommended_id"]:
            assert fields["runtime"] == model["recommended_id"]  # in full, on one line
        assert fields["mantle"] == (model["mantle_id"] or "\u2014")


def test_wide_terminal_gets_one_row_per_model(emulator: Emulator, tmp_path: Path) -> None:
    env = _env(emulator, tmp_path, COLUMNS="250")
    models = _json(env, "--refresh")["models"]
    lines = _models(env).stdout.splitlines()
    header = lines[1].split()
    assert header[:2] == ["Model", "Lifecycle"] and "Profiles" in header
    for model in models:
        row = next(line for line in lines if line.startswith(model["name"] + "  "))
        assert model["recommended_id"] is None or f" {model['recommended_id']} " in row
        assert "\u2026" not in row


def test_offline_and_check_do_not_mix(tmp_path: Path, emulator: Emulator) -> None:
    result = run(["models", "--offline", "--check"], _env(emulator, tmp_path))
    assert result.returncode == 2 and "--offline" in result.stderr


def _blocks(out: str) -> list[tuple[str, dict[str, str]]]:
    """The narrow layout read back: (model name, {field: value}) per block."""
    blocks: list[tuple[str, dict[str, str]]] = []
    for line in out.splitlines()[2:]:
        match = re.match(r"^  (runtime|mantle|profiles)\s+(.*)$", line)
        if match and blocks:
            blocks[-1][1][match.group(1)] = match.group(2)
        elif line.startswith("Claude ") and "  " in line:
            blocks.append((line.split("  ")[0].removesuffix(" (?)"), {}))
        elif not line.startswith("  "):
            break  # the notes
    return blocks
