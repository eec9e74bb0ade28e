"""``client.converse`` and ``messages.create(..., api="converse")``.

``client.converse.create(...)`` / ``.stream(...)`` take boto3's ``converse`` keywords, with
Bedrock's camelCase names (``modelId``, ``messages``, ``system``, ``inferenceConfig``,
``toolConfig``, ``guardrailConfig``, ``additionalModelRequestFields``,
``additionalModelResponseFieldPaths``, ``promptVariables``, ``requestMetadata``,
``performanceConfig``, ``serviceTier``, ``outputConfig``), so ``create(**kwargs)`` runs the
same call as ``boto3.client("bedrock-runtime").converse(**kwargs)``. Ours on top:
``model=`` as a synonym of ``modelId`` (aliases such as ``"opus"`` and the ``endpoint``
choice resolve as in ``messages.create``), ``serviceTier="priority"`` as a short form,
``extra_headers`` and ``timeout``. Blobs may be ``bytes`` (boto3's form) or base64 text.

Before sending, the request is checked against botocore's shapes for it (as boto3 does:
a misspelt field would otherwise be ignored by Bedrock; :class:`ConverseRequestError`),
documents are checked against Converse's rules
(:func:`claude_bedrock.documents.check_converse_documents`: count, names, size, pages,
text block) and a PDF without citations warns ``TextOnlyPdfWarning`` (Claude would only
get its text).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncGenerator, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ..resources._params import PreparedCall, model_path
from ..types.message import Cost, Message
from ..wire.converse import violations
from ._errors import ConverseRequestError
from ._events import ToAnthropic
from ._stream import AsyncConverseStream, ConverseStream, aiter_events, iter_events
from ._translate import DEFAULT_RESPONSE_FIELD_PATHS, from_converse, to_converse
from ._types import ConverseResponse

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from .._request_core import RequestCore
    from ..catalog import ResolvedModel
    from ..streaming import AsyncStream, Stream

__all__ = [
    "AsyncConverse", "Converse", "amessages_via_converse", "encode", "messages_via_converse",
]  # fmt: skip

Endpoint = Literal["global", "regional"]
EVENTSTREAM = "application/vnd.amazon.eventstream"
_TIER_HEADER = "x-amzn-bedrock-service-tier"
_VERSION_SUFFIX = re.compile(r"-v\d+(?::\d+)?\Z")


def _blob(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(request: Mapping[str, Any]) -> bytes:
    """The JSON body; ``bytes`` values become base64 text, as botocore sends blobs."""
    return json.dumps(request, separators=(",", ":"), ensure_ascii=False, default=_blob).encode()


def _cost(resolved: ResolvedModel, usage: Any) -> Cost | None:
    if resolved.info is None:
        return None
    from ..catalog import cost

    usd = cost(resolved.info, usage, resolved.endpoint_type)
    return Cost(usd=usd, model=resolved.info.id, endpoint_type=resolved.endpoint_type)


@dataclass(slots=True)
class _Call:
    resolved: ResolvedModel
    body: bytes
    headers: dict[str, str]

    def url(self, core: RequestCore, operation: str) -> str:
        return core.url("runtime", model_path(self.resolved.model_id, operation))


def _prepare(core: RequestCore, kwargs: dict[str, Any], shape: str) -> _Call:
    model, model_id = kwargs.pop("model"), kwargs.pop("modelId")
    endpoint, extra_headers = kwargs.pop("endpoint"), kwargs.pop("extra_headers")
    if (model is None) == (model_id is None):
        raise TypeError("pass the model as exactly one of `modelId` or `model`")
    resolved = core.resolve_model(model or model_id, endpoint)
    request = {key: value for key, value in kwargs.items() if value is not None}
    if isinstance(request.get("serviceTier"), str):
        request["serviceTier"] = {"type": request["serviceTier"]}
    for key in ("messages", "system", "additionalModelResponseFieldPaths"):
        if key in request and not isinstance(request[key], list):
            request[key] = list(request[key])
    if any(hasattr(m, "to_dict") for m in request.get("messages") or ()):
        # A typed message from an earlier answer (``response.output.message``), as boto3's dict.
        request["messages"] = [
            m.to_dict() if hasattr(m, "to_dict") else m for m in request["messages"]
        ]
    problems = violations(request, shape)
    if problems:
        raise ConverseRequestError(problems)
    if request.get("messages"):
        from ..documents import check_converse_documents

        check_converse_documents(request["messages"], model=resolved.info)
    return _Call(resolved, encode(request), dict(extra_headers or {}))


def _finish(response: httpx.Response, call: _Call) -> ConverseResponse:
    result = ConverseResponse.model_validate_json(response.content)
    result._request_id = response.headers.get("x-amzn-requestid")
    result._cost = _cost(call.resolved, result.usage)
    return result


class Converse:
    """Synchronous ``client.converse``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    def create(
        self, *, modelId: str | None = None, model: str | None = None,
        messages: Iterable[Mapping[str, Any]] | None = None,
        system: Iterable[Mapping[str, Any]] | None = None,
        inferenceConfig: Mapping[str, Any] | None = None,
        toolConfig: Mapping[str, Any] | None = None,
        guardrailConfig: Mapping[str, Any] | None = None,
        additionalModelRequestFields: Mapping[str, Any] | None = None,
        additionalModelResponseFieldPaths: Iterable[str] | None = None,
        promptVariables: Mapping[str, Any] | None = None,
        requestMetadata: Mapping[str, str] | None = None,
        performanceConfig: Mapping[str, Any] | None = None,
        serviceTier: Mapping[str, Any] | str | None = None,
        outputConfig: Mapping[str, Any] | None = None,
        endpoint: Endpoint | None = None, extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> ConverseResponse:  # fmt: skip
        """Bedrock's ``Converse``: one answer, typed (see the module doc for the keywords)."""
        kwargs = dict(locals())
        del kwargs["self"], kwargs["timeout"]
        call = _prepare(self._client._core, kwargs, "ConverseRequest")
        response = self._client._sender.send(
            "POST", call.url(self._client._core, "converse"), call.body,
            extra_headers=call.headers, timeout=timeout,
        )  # fmt: skip
        return _finish(response, call)

    def stream(
        self, *, modelId: str | None = None, model: str | None = None,
        messages: Iterable[Mapping[str, Any]] | None = None,
        system: Iterable[Mapping[str, Any]] | None = None,
        inferenceConfig: Mapping[str, Any] | None = None,
        toolConfig: Mapping[str, Any] | None = None,
        guardrailConfig: Mapping[str, Any] | None = None,
        additionalModelRequestFields: Mapping[str, Any] | None = None,
        additionalModelResponseFieldPaths: Iterable[str] | None = None,
        promptVariables: Mapping[str, Any] | None = None,
        requestMetadata: Mapping[str, str] | None = None,
        performanceConfig: Mapping[str, Any] | None = None,
        serviceTier: Mapping[str, Any] | str | None = None,
        outputConfig: Mapping[str, Any] | None = None,
        endpoint: Endpoint | None = None, extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> ConverseStream:  # fmt: skip
        """Bedrock's ``ConverseStream``: sent at once; iterate the typed events, or use
        ``with``. Errors before the stream are raised here, errors inside it while iterating.
        """
        kwargs = dict(locals())
        del kwargs["self"], kwargs["timeout"]
        call = _prepare(self._client._core, kwargs, "ConverseStreamRequest")
        response, events = self._client._sender.send_stream(
            "POST", call.url(self._client._core, "converse-stream"), call.body, _primed,
            extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
        )  # fmt: skip
        return ConverseStream(
            response, events=events, cost=lambda usage: _cost(call.resolved, usage)
        )


class AsyncConverse:
    """Asynchronous ``client.converse`` (same keywords as :class:`Converse`)."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    async def create(
        self, *, modelId: str | None = None, model: str | None = None,
        messages: Iterable[Mapping[str, Any]] | None = None,
        system: Iterable[Mapping[str, Any]] | None = None,
        inferenceConfig: Mapping[str, Any] | None = None,
        toolConfig: Mapping[str, Any] | None = None,
        guardrailConfig: Mapping[str, Any] | None = None,
        additionalModelRequestFields: Mapping[str, Any] | None = None,
        additionalModelResponseFieldPaths: Iterable[str] | None = None,
        promptVariables: Mapping[str, Any] | None = None,
        requestMetadata: Mapping[str, str] | None = None,
        performanceConfig: Mapping[str, Any] | None = None,
        serviceTier: Mapping[str, Any] | str | None = None,
        outputConfig: Mapping[str, Any] | None = None,
        endpoint: Endpoint | None = None, extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> ConverseResponse:  # fmt: skip
        """Bedrock's ``Converse``: one answer, typed."""
        kwargs = dict(locals())
        del kwargs["self"], kwargs["timeout"]
        call = _prepare(self._client._core, kwargs, "ConverseRequest")
        response = await self._client._sender.send(
            "POST", call.url(self._client._core, "converse"), call.body,
            extra_headers=call.headers, timeout=timeout,
        )  # fmt: skip
        return _finish(response, call)

    async def stream(
        self, *, modelId: str | None = None, model: str | None = None,
        messages: Iterable[Mapping[str, Any]] | None = None,
        system: Iterable[Mapping[str, Any]] | None = None,
        inferenceConfig: Mapping[str, Any] | None = None,
        toolConfig: Mapping[str, Any] | None = None,
        guardrailConfig: Mapping[str, Any] | None = None,
        additionalModelRequestFields: Mapping[str, Any] | None = None,
        additionalModelResponseFieldPaths: Iterable[str] | None = None,
        promptVariables: Mapping[str, Any] | None = None,
        requestMetadata: Mapping[str, str] | None = None,
        performanceConfig: Mapping[str, Any] | None = None,
        serviceTier: Mapping[str, Any] | str | None = None,
        outputConfig: Mapping[str, Any] | None = None,
        endpoint: Endpoint | None = None, extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> AsyncConverseStream:  # fmt: skip
        """Bedrock's ``ConverseStream``: ``stream = await client.converse.stream(...)``."""
        kwargs = dict(locals())
        del kwargs["self"], kwargs["timeout"]
        call = _prepare(self._client._core, kwargs, "ConverseStreamRequest")
        response, events = await self._client._sender.send_stream(
            "POST", call.url(self._client._core, "converse-stream"), call.body, _aprimed,
            extra_headers=call.headers, timeout=timeout, accept=EVENTSTREAM,
        )  # fmt: skip
        return AsyncConverseStream(
            response, events=events, cost=lambda usage: _cost(call.resolved, usage)
        )


# --------------------------------------------------------------------------- api="converse"


def _model_name(call: PreparedCall) -> str:
    """The ``model`` an InvokeModel answer would carry (Anthropic's name for the model)."""
    info = call.resolved.info
    if info is None:
        return call.resolved.model_id
    return _VERSION_SUFFIX.sub("", info.id.removeprefix("anthropic."))


def _converse_call(call: PreparedCall, stream: bool) -> tuple[bytes, dict[str, str]]:
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
    from ..resources.messages import cost_of

    request_id = response.headers.get("x-amzn-requestid")
    message = from_converse(json.loads(response.content), model=_model_name(call),
                            request_id=request_id)  # fmt: skip
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


def messages_via_converse(
    client: AnthropicBedrock,
    call: PreparedCall,
    *,
    stream: bool = False,
    timeout: float | httpx.Timeout | None = None,
) -> Message | Stream:
    """``messages.create(..., api="converse")``: the same call and answer, over Converse."""
    core = client._core
    body, headers = _converse_call(call, stream)
    operation = "converse-stream" if stream else "converse"
    url = core.url("runtime", model_path(call.resolved.model_id, operation))
    if not stream:
        response = client._sender.send("POST", url, body, extra_headers=headers, timeout=timeout)
        return _message(response, call)
    from ..streaming import Stream

    # Read up to the first event before handing the stream over, so that a failure there
    # (an exception frame, a reset) is retried like a Messages stream's: nothing reached
    # the caller yet.
    response, events = client._sender.send_stream(
        "POST", url, body, _primed, extra_headers=headers, timeout=timeout, accept=EVENTSTREAM
    )
    adapter = ToAnthropic(_stream_id(response), _model_name(call))
    return Stream.from_events(response, _adapt(events, adapter), call)


async def amessages_via_converse(
    client: AsyncAnthropicBedrock,
    call: PreparedCall,
    *,
    stream: bool = False,
    timeout: float | httpx.Timeout | None = None,
) -> Message | AsyncStream:
    """Async twin of :func:`messages_via_converse`."""
    core = client._core
    body, headers = _converse_call(call, stream)
    operation = "converse-stream" if stream else "converse"
    url = core.url("runtime", model_path(call.resolved.model_id, operation))
    if not stream:
        response = await client._sender.send(
            "POST", url, body, extra_headers=headers, timeout=timeout
        )
        return _message(response, call)
    from ..streaming import AsyncStream

    response, events = await client._sender.send_stream(
        "POST", url, body, _aprimed, extra_headers=headers, timeout=timeout, accept=EVENTSTREAM
    )
    adapter = ToAnthropic(_stream_id(response), _model_name(call))
    return AsyncStream.from_events(response, _aadapt(events, adapter), call)


def _primed(response: httpx.Response) -> Generator[Any]:
    """The response's events with the first one already read (errors before it raise here)."""
    events = iter_events(response)
    try:
        head = [next(events)]
    except StopIteration:
        head = []
    except BaseException:
        events.close()
        raise
    return _resume(head, events)


def _resume(head: list[Any], events: Generator[Any]) -> Generator[Any]:
    try:
        yield from head
        yield from events
    finally:
        events.close()


async def _aprimed(response: httpx.Response) -> AsyncGenerator[Any]:
    """Async twin of :func:`_primed`."""
    events = aiter_events(response)
    try:
        head = [await anext(events)]
    except StopAsyncIteration:
        head = []
    except BaseException:
        await events.aclose()
        raise
    return _aresume(head, events)


async def _aresume(head: list[Any], events: AsyncGenerator[Any]) -> AsyncGenerator[Any]:
    try:
        for event in head:
            yield event
        async for event in events:
            yield event
    finally:
        await events.aclose()


def _stream_id(response: httpx.Response) -> str:
    import uuid

    return f"msg_converse_{response.headers.get('x-amzn-requestid') or uuid.uuid4().hex}"
