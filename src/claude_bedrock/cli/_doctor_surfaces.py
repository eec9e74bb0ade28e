"""``doctor``'s surface checks: can this account reach Claude through each Bedrock surface?

Bedrock serves Claude five ways: InvokeModel, Converse and CountTokens on bedrock-runtime,
the Messages API on bedrock-runtime (``/anthropic/v1/messages``) and the Messages API on
bedrock-mantle. Each has its own IAM action, host and model IDs, so one working does not
prove another. Token counting is free on both hosts, so it is always tried; the other
surfaces are tried with ``--probe`` only (a 1-token call each, a few tokens billed).

A failing surface is a warning, not a failure: most programs use one or two of them, and
the exit code stays that of the checks every program needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._doctor_checks import Check, Setup, api_failure

if TYPE_CHECKING:
    from .._mantle_client import AnthropicBedrockMantle

__all__ = ["surfaces"]

#: The model each surface is tried with: the catalogue's alias for the newest generally
#: available Sonnet offered from the Region (each surface resolves it to its own ID form).
_MODEL = "sonnet"
_PING = [{"role": "user", "content": "ping"}]
_NAME = "surface"


def surfaces(setup: Setup) -> list[Check]:
    from ._doctor_bedrock import _blocked, _client

    reason = _blocked(setup)
    client = _client(setup) if reason is None else None
    if client is None:
        return [Check(_NAME, "skip", reason or "needs a valid region", group="surfaces")]
    mantle = _mantle_client(setup)
    trials: list[tuple[str, bool, Callable[[], str]]] = [
        ("CountTokens (bedrock-runtime)", True,
         lambda: _counted(client.messages.count_tokens(model=_MODEL, messages=_PING))),
        ("count_tokens (bedrock-mantle)", True,
         lambda: _counted(mantle.messages.count_tokens(model=_MODEL, messages=_PING))),
        ("InvokeModel", False, lambda: _answered(client.messages.create(
            model=_MODEL, max_tokens=1, messages=_PING, api="invoke"))),
        ("Converse", False, lambda: _answered(client.messages.create(
            model=_MODEL, max_tokens=1, messages=_PING, api="converse"))),
        ("Messages API (bedrock-runtime)", False, lambda: _answered(client.messages.create(
            model=_MODEL, max_tokens=1, messages=_PING, api="messages"))),
        ("Messages API (bedrock-mantle)", False, lambda: _answered(mantle.messages.create(
            model=_MODEL, max_tokens=1, messages=_PING))),
    ]  # fmt: skip
    return [_try(setup, label, free, trial) for label, free, trial in trials]


def _try(setup: Setup, label: str, free: bool, trial: Callable[[], str]) -> Check:
    name = f"{_NAME}: {label}"
    if not free and not setup.probe:
        return Check(name, "skip", "--probe sends a 1-token call through it", group="surfaces")
    try:
        detail = trial()
    except Exception as exc:
        text, fix, _ = api_failure(exc)
        return Check(name, "warn", text, fix, group="surfaces")
    return Check(name, "ok", detail, group="surfaces")


def _counted(result: Any) -> str:
    return f"{result.input_tokens} input tokens counted (free)"


def _answered(message: Any) -> str:
    return f"{message.model} answered a 1-token call"


def _mantle_client(setup: Setup) -> AnthropicBedrockMantle:
    from .. import AnthropicBedrockMantle
    from .._config import resolve_endpoints

    assert setup.region is not None  # _blocked() said so
    return AnthropicBedrockMantle(
        aws_region=setup.region,
        aws_profile=setup.profile if setup.api_key is None else None,
        base_url=resolve_endpoints(setup.region, setup.endpoint_url).mantle,
        max_retries=0,
        timeout=30.0,
    )
