"""``messages.create(..., api="converse")``: a Messages API call sent over Converse.

The translation modules are imported where used: ``claude_bedrock.converse`` re-exports
this module, and a Messages call may reach it before anything imported that package.

The Messages body is translated to Converse (:func:`~claude_bedrock.converse.to_converse`),
checked against Converse's document rules, sent, and the answer translated back into the
same :class:`~claude_bedrock.types.Message` (or the same stream events) an InvokeModel call
gives; the cost comes from the catalogue as for InvokeModel.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

import httpx
import pydantic

from .._body import describe, invalid, json_object, validated
from ..types.converse import ConverseResponse
from ..types.message import Message
from ._converse_io import EVENTSTREAM, aprimed, encode, primed
from ._params import PreparedCall, model_path

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..converse._events import ToAnthropic
    from ..streaming import AsyncStream, Stream

__all__ = ["amessages_via_converse", "messages_via_converse"]

_TIER_HEADER = "x-amzn-bedrock-service-tier"
_VERSION_SUFFIX = re.compile(r"-v\d+(?::\d+)?\Z")


def _model_name(call: PreparedCall) -> str:
    """The ``model`` an InvokeModel answer would carry (Anthropic's name for the model)."""
    info = call.resolved.info
    if info is None:
        return call.resolved.model_id
    return _VERSION_SUFFIX.sub("", info.id.removeprefix("anthropic."))


def _converse_call(call: PreparedCall, stream: bool) -> tuple[bytes, dict[str, str]]:
    from ..converse._translate import DEFAULT_RESPONSE_FIELD_PATHS, to_converse
    from ..documents import check_converse_documents

    headers: dict[str, str] = {}
    tier = None
    for key, value in call.headers.items():
        if key.lower() == _TIER_HEADER:
            tier = value
        else:
            headers[key] = value
    request = to_converse(call.body, wire=True, pdf_citations="ignore")
    # Converse's own document limits (count, size, pages, text block), before sending; it
    # also warns about PDFs without citations (TextOnlyPdfWarning).
    check_converse_documents(request["messages"], model=call.resolved.info)
    paths = ["/stop_sequence"] if stream else list(DEFAULT_RESPONSE_FIELD_PATHS)
    request["additionalModelResponseFieldPaths"] = paths
    if tier is not None:
        request["serviceTier"] = {"type": tier}
    return encode(request), headers


def _message(response: httpx.Response, call: PreparedCall) -> Message:
    from ..converse._translate import from_converse
    from .messages import cost_of

    request_id = response.headers.get("x-amzn-requestid")
    data = json_object(response, "Converse", empty=False)
    validated(ConverseResponse, response, "Converse", data)  # the shape Converse answers
    try:
        message = from_converse(data, model=_model_name(call), request_id=request_id)
    except pydantic.ValidationError as exc:  # valid Converse, but not as a message
        raise invalid(response, f"Converse answered {describe(exc)}", data) from None
    message._cost = cost_of(message, call)
    return message


def _adapt(events: Generator[Any], adapter: ToAnthropic) -> Generator[Any]:
    try:
        for event in events:
            yield from adapter.feed(event)
    finally:
        events.close()


async def _aadapt(events: AsyncGenerator[Any], adapter: ToAnthropic) -> AsyncGenerator[Any]:
    try:
        async for event in events:
            for out in adapter.feed(event):
                yield out
    finally:
        await events.aclose()


def _plan(call: PreparedCall, core: Any, stream: bool) -> tuple[str, bytes, dict[str, str]]:
    """URL, body and headers of the Converse call that carries Messages call ``call``."""
    body, headers = _converse_call(call, stream)
    operation = "converse-stream" if stream else "converse"
    url = core.url("runtime", model_path(call.resolved.model_id, operation)) + call.query
    return url, body, headers


def messages_via_converse(
    client: AnthropicBedrock,
    call: PreparedCall,
    *,
    stream: bool = False,
    timeout: float | httpx.Timeout | None = None,
) -> Message | Stream:
    """``messages.create(..., api="converse")``: the same call and answer, over Converse."""
    url, body, headers = _plan(call, client._core, stream)
    if not stream:
        response = client._sender.send("POST", url, body, extra_headers=headers, timeout=timeout)
        return _message(response, call)
    from ..streaming import Stream

    # Read up to the first event before handing the stream over, so that a failure there
    # (an exception frame, a reset) is retried like a Messages stream's: nothing reached
    # the caller yet.
    response, events = client._sender.send_stream(
        "POST", url, body, primed, extra_headers=headers, timeout=timeout, accept=EVENTSTREAM
    )
    adapter = _adapter(response, call)
    return Stream.from_events(response, _adapt(events, adapter), call)


async def amessages_via_converse(
    client: AsyncAnthropicBedrock,
    call: PreparedCall,
    *,
    stream: bool = False,
    timeout: float | httpx.Timeout | None = None,
) -> Message | AsyncStream:
    """Async twin of :func:`messages_via_converse`."""
    url, body, headers = _plan(call, client._core, stream)
    if not stream:
        response = await client._sender.send(
            "POST", url, body, extra_headers=headers, timeout=timeout
        )
        return _message(response, call)
    from ..streaming import AsyncStream

    response, events = await client._sender.send_stream(
        "POST", url, body, aprimed, extra_headers=headers, timeout=timeout, accept=EVENTSTREAM
    )
    adapter = _adapter(response, call)
    return AsyncStream.from_events(response, _aadapt(events, adapter), call)


def _adapter(response: httpx.Response, call: PreparedCall) -> ToAnthropic:
    """Converse stream events -> Messages stream events, under a Messages-style ID."""
    import uuid

    from ..converse._events import ToAnthropic

    stream_id = f"msg_converse_{response.headers.get('x-amzn-requestid') or uuid.uuid4().hex}"
    return ToAnthropic(stream_id, _model_name(call))
