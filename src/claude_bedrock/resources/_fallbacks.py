"""Client-side fallbacks: the same call on the next model or profile, after a capacity or
throttling error only.

``fallbacks=["us.anthropic.claude-opus-4-8", "anthropic.claude-sonnet-5"]`` (on a call, or
on the client for every call) lists Bedrock model IDs or inference profiles to try, in
order, after the requested model. Only errors that say "not now" move to the next one:
throttling (429 ``ThrottlingException``, Messages API ``rate_limit_error``), capacity (503
``ServiceUnavailableException``, 529 ``overloaded_error``) and ``ModelNotReadyException``.
A validation, authentication or access error would fail the same way on every model, and
hiding it behind another model's answer would hide a bug: it is raised at once.

The official SDK 2.16 has a ``fallbacks`` body field of its own (the Anthropic API's
server-side fallback when a model *declines for policy reasons*: a list of objects, or
``"default"``); such a value is not ours and is sent in the body unchanged. A list of
strings is ours: it never reaches Bedrock.

With ``throughput="adaptive"``, throttling is absorbed (retried) up to the call's deadline;
with fallbacks, every model but the last gets the client's ordinary ``max_retries`` and the
next model is tried after them, so a fallback is not delayed by the absorption.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import APIStatusError, ClientValidationError
from .._throughput import ABSORB

if TYPE_CHECKING:
    from .._request_core import RequestCore
    from ..wire.messages_api import Surface

__all__ = [
    "FALLBACK_STATUS",
    "acreate_with_fallbacks",
    "create_with_fallbacks",
    "fallback_chain",
    "is_capacity_error",
    "ours",
]

_log = logging.getLogger("claude_bedrock")

#: Statuses that mean "not now, maybe elsewhere": throttling and capacity.
FALLBACK_STATUS = frozenset({429, 503, 529})
_NOT_READY = "ModelNotReadyException"


def ours(value: Any) -> bool:
    """Whether a ``fallbacks`` value is a list of model IDs (ours), not the official SDK's
    server-side fallback objects or ``"default"`` (sent in the body)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        return False
    return bool(value) and all(isinstance(item, str) for item in value)


def is_capacity_error(error: BaseException) -> bool:
    """A throttling or capacity error: the only kind a fallback may answer."""
    if not isinstance(error, APIStatusError):
        return False
    return error.status_code in FALLBACK_STATUS or error.error_type == _NOT_READY


def fallback_chain(
    core: RequestCore,
    model: str,
    call_fallbacks: Any,
    client_fallbacks: Sequence[str],
    surface: Surface,
) -> list[str]:
    """The models to try, in order: ``model``, then the call's fallbacks (or else the
    client's), without repeats. Empty when there are none (the call goes as usual).

    A fallback the catalogue knows, from a certain source, is not served on ``surface``
    fails here, before anything is sent (it could only fail later, at the worst moment).
    IDs the catalogue does not know pass: Bedrock decides.
    """
    listed = list(call_fallbacks) if ours(call_fallbacks) else list(client_fallbacks)
    if not listed:
        return []
    chain = [model]
    for fallback in listed:
        if fallback not in chain:
            _check_served(core, fallback, surface)
            chain.append(fallback)
    return chain if len(chain) > 1 else []


def _check_served(core: RequestCore, model: str, surface: Surface) -> None:
    info = core.catalog.identify(model)
    if info is None or not info.refuses(surface):
        return
    served = ", ".join(sorted(info.surfaces)) or "no surface"
    raise ClientValidationError(
        f"fallbacks: {model} is not served on {surface} (the catalogue lists: {served}); "
        "remove it from fallbacks, or send the call on a surface it is served on (api=)."
    )


def without_ours(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` without a ``fallbacks`` list of ours (so it is not sent in the body)."""
    return {k: v for k, v in params.items() if not (k == "fallbacks" and ours(v))}


def _served(result: Any, model: str) -> Any:
    """Say which model answered (a message, or a stream: its final message says it too)."""
    with contextlib.suppress(AttributeError, ValueError):  # a type without it: say nothing
        result._served_by = model
    return result


def _moving_on(model: str, error: BaseException, following: str) -> None:
    _log.info("fallbacks: %s answered %s; trying %s", model, type(error).__name__, following)


def create_with_fallbacks(chain: Sequence[str], attempt: Callable[[str], Any]) -> Any:
    """``attempt(model)`` for each model of ``chain`` until one answers; only a capacity or
    throttling error moves on (the last model's error is raised as it came)."""
    for index, model in enumerate(chain):
        last = index == len(chain) - 1
        token = ABSORB.set(last)
        try:
            return _served(attempt(model), model)
        except Exception as error:
            if last or not is_capacity_error(error):
                raise
            _moving_on(model, error, chain[index + 1])
        finally:
            ABSORB.reset(token)
    raise AssertionError("unreachable: the chain has at least two models")


async def acreate_with_fallbacks(
    chain: Sequence[str], attempt: Callable[[str], Awaitable[Any]]
) -> Any:
    """Async :func:`create_with_fallbacks`."""
    for index, model in enumerate(chain):
        last = index == len(chain) - 1
        token = ABSORB.set(last)
        try:
            return _served(await attempt(model), model)
        except Exception as error:
            if last or not is_capacity_error(error):
                raise
            _moving_on(model, error, chain[index + 1])
        finally:
            ABSORB.reset(token)
    raise AssertionError("unreachable: the chain has at least two models")


def _chain(client: Any, model: str, params: Mapping[str, Any]) -> list[str]:
    from .._placeholders import drop_placeholders
    from ._surfaces import surface_for

    surface = surface_for(client._core, drop_placeholders(params).get("api"))
    return fallback_chain(client._core, model, params.get("fallbacks"), client._fallbacks, surface)


def create(
    client: Any, model: str, max_tokens: int, messages: Any, params: Mapping[str, Any],
    stream: bool,
) -> Any:  # fmt: skip
    """``messages.create`` with fallbacks (the call as usual when the chain is empty)."""
    from ._message_call import prepare_call
    from ._message_send import send

    def attempt(chosen: str) -> Any:
        kwargs = without_ours(params)
        call = prepare_call(client, chosen, max_tokens, messages, kwargs, stream=stream)
        return send(client, call, kwargs, stream, sync=True)

    chain = _chain(client, model, params)
    return create_with_fallbacks(chain, attempt) if chain else attempt(model)


async def acreate(
    client: Any, model: str, max_tokens: int, messages: Any, params: Mapping[str, Any],
    stream: bool,
) -> Any:  # fmt: skip
    """Async :func:`create`."""
    from ._message_call import prepare_call
    from ._message_send import send

    async def attempt(chosen: str) -> Any:
        kwargs = without_ours(params)
        call = prepare_call(client, chosen, max_tokens, messages, kwargs, stream=stream)
        return await send(client, call, kwargs, stream, sync=False)

    chain = _chain(client, model, params)
    return await (acreate_with_fallbacks(chain, attempt) if chain else attempt(model))


def stream_manager(
    client: Any, model: str, max_tokens: int, messages: Any, params: Mapping[str, Any],
    *, sync: bool,
) -> Any:  # fmt: skip
    """``messages.stream``'s manager with fallbacks: each model's call prepared now (no I/O),
    tried in turn when the block is entered (:func:`open_with_fallbacks`)."""
    from .._placeholders import given
    from ._message_call import prepare_call
    from ._message_send import manager_for

    kwargs = without_ours(params)
    chain = _chain(client, model, params) or [model]
    calls = [
        (chosen, prepare_call(client, chosen, max_tokens, messages, kwargs, stream=True))
        for chosen in chain
    ]
    manager = manager_for(client, calls[0][1], given(kwargs.get("timeout")), sync=sync)
    manager._model, manager._fallbacks = chain[0], calls[1:]
    return manager


def open_with_fallbacks(manager: Any, sync: bool) -> Any:
    """Open the manager's stream on each model in turn (only a capacity or throttling error
    before the first event moves on); the stream says which model served it."""
    calls = dict([(manager._model, manager._call), *manager._fallbacks])
    chain = list(calls)

    def attempt(chosen: str) -> Any:
        manager._call = calls[chosen]
        return manager._open(True)

    async def aattempt(chosen: str) -> Any:
        manager._call = calls[chosen]
        return await manager._open(False)

    if sync:
        return create_with_fallbacks(chain, attempt)
    return acreate_with_fallbacks(chain, aattempt)
