"""The import contract (pyproject ``[tool.importlinter]``, run by ``make lint``) keeps up with
the package: every private client module is forbidden to the emulator and the wire layer,
so a module added later cannot slip past the contract by not being listed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import claude_bedrock

ROOT = Path(claude_bedrock.__file__).parent
PYPROJECT = ROOT.parents[1] / "pyproject.toml"


def _contracts() -> dict[str, list[str]]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return {
        c["source_modules"][0]: c["forbidden_modules"]
        for c in config["contracts"]
        if c["type"] == "forbidden"
    }


def _private_client_modules() -> set[str]:
    names = {p.stem for p in ROOT.glob("_*.py")} | {p.name for p in ROOT.glob("_*/")}
    return {f"claude_bedrock.{n}" for n in names - {"__init__", "__main__", "__pycache__"}}


def test_every_private_client_module_is_forbidden_to_the_emulator() -> None:
    forbidden = set(_contracts()["claude_bedrock.emulator"])
    assert _private_client_modules() - {"claude_bedrock._version"} <= forbidden


def test_the_wire_layer_may_import_no_sibling() -> None:
    forbidden = set(_contracts()["claude_bedrock.wire"])
    siblings = {p.stem for p in ROOT.glob("*.py")} | {
        p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    siblings -= {"__init__", "__main__", "wire", "py"}
    expected = {f"claude_bedrock.{s}" for s in siblings}
    namespace = {f"claude_bedrock.{p.name}.*" for p in ROOT.iterdir() if p.is_dir()
                 and not (p / "__init__.py").exists() and p.name != "__pycache__"}  # fmt: skip
    assert expected | namespace <= forbidden
