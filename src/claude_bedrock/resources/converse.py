"""``client.converse``: Bedrock's Converse and ConverseStream operations, typed.

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

The keywords are declared once, in :class:`ConverseParams`, and shared by ``create`` and
``stream``, sync and async; an unknown keyword is a ``TypeError``. ``messages.create(...,
api="converse")`` lives in :mod:`._converse_messages`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import httpx

from .._body import validated
from ..types.converse import ConverseResponse
from ..types.message import Cost
from ._converse_io import EVENTSTREAM, aprimed, encode, primed
from ._params import model_path
from ._raw import RawResponses

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from .._request_core import RequestCore
    from ..catalog import ResolvedModel
    from ..converse._stream import AsyncConverseStream, ConverseStream

__all__ = ["AsyncConverse", "Converse", "ConverseParams"]

Endpoint = Literal["global", "regional"]


class ConverseParams(TypedDict, total=False):
    """boto3's ``converse`` / ``converse_stream`` keywords (Bedrock's names; exactly one of
    ``modelId`` and ``model``), then ours: ``endpoint``, ``extra_headers``, ``timeout``."""

    modelId: str | None
    model: str | None
    messages: Iterable[Mapping[str, Any]] | None
    system: Iterable[Mapping[str, Any]] | None
    inferenceConfig: Mapping[str, Any] | None
    toolConfig: Mapping[str, Any] | None
    guardrailConfig: Mapping[str, Any] | None
    additionalModelRequestFields: Mapping[str, Any] | None
    additionalModelResponseFieldPaths: Iterable[str] | None
    promptVariables: Mapping[str, Any] | None
    requestMetadata: Mapping[str, str] | None
    performanceConfig: Mapping[str, Any] | None
    serviceTier: Mapping[str, Any] | str | None
    outputConfig: Mapping[str, Any] | None
    endpoint: Endpoint | None
    extra_headers: Mapping[str, str] | None
    timeout: float | httpx.Timeout | None


_KNOWN = frozenset(ConverseParams.__annotations__)
#: Keywords of ours, not fields of Bedrock's request.
_OURS = frozenset({"model", "modelId", "endpoint", "extra_headers", "timeout"})


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
    url: str
    timeout: float | httpx.Timeout | None

    def cost(self, usage: Any) -> Cost | None:
        return _cost(self.resolved, usage)


def _prepare(core: RequestCore, params: Mapping[str, Any], operation: str) -> _Call:
    """Check the keywords and the request (botocore's shape for ``operation``, Converse's
    document rules), resolve the model and encode the body."""
    unknown = params.keys() - _KNOWN
    if unknown:
        raise TypeError(f"converse: unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    model, model_id = params.get("model"), params.get("modelId")
    if (model is None) == (model_id is None):
        raise TypeError("pass the model as exactly one of `modelId` or `model`")
    resolved = core.resolve_model(model or model_id or "", params.get("endpoint"))
    request = {k: v for k, v in params.items() if v is not None and k not in _OURS}
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
    shape = "ConverseStreamRequest" if operation == "converse-stream" else "ConverseRequest"
    # Imported here: ``claude_bedrock.converse`` re-exports this module (no import cycle).
    from ..converse._errors import ConverseRequestError
    from ..wire.converse import violations

    problems = violations(request, shape)
    if problems:
        raise ConverseRequestError(problems)
    if request.get("messages"):
        from ..documents import check_converse_documents

        check_converse_documents(request["messages"], model=resolved.info)
    url = core.url("runtime", model_path(resolved.model_id, operation))
    headers = dict(params.get("extra_headers") or {})
    return _Call(resolved, encode(request), headers, url, params.get("timeout"))


def _finish(response: httpx.Response, call: _Call) -> ConverseResponse:
    result = validated(ConverseResponse, response, "Converse")
    result._request_id = response.headers.get("x-amzn-requestid")
    result._cost = _cost(call.resolved, result.usage)
    return result


class Converse(RawResponses):
    """Synchronous ``client.converse``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    def create(self, **params: Unpack[ConverseParams]) -> ConverseResponse:
        """Bedrock's ``Converse``: one answer, typed (see the module doc for the keywords)."""
        call = _prepare(self._client._core, params, "converse")
        response = self._client._sender.send(
            "POST", call.url, call.body, extra_headers=call.headers, timeout=call.timeout
        )
        return _finish(response, call)

    def stream(self, **params: Unpack[ConverseParams]) -> ConverseStream:
        """Bedrock's ``ConverseStream``: sent at once; iterate the typed events, or use
        ``with``. Errors before the stream are raised here, errors inside it while iterating.
        """
        from ..converse._stream import ConverseStream

        call = _prepare(self._client._core, params, "converse-stream")
        response, events = self._client._sender.send_stream(
            "POST", call.url, call.body, primed, extra_headers=call.headers,
            timeout=call.timeout, accept=EVENTSTREAM,
        )  # fmt: skip
        return ConverseStream(response, events=events, cost=call.cost)


class AsyncConverse(RawResponses):
    """Asynchronous ``client.converse`` (same keywords as :class:`Converse`)."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    async def create(self, **params: Unpack[ConverseParams]) -> ConverseResponse:
        """Bedrock's ``Converse``: one answer, typed."""
        call = _prepare(self._client._core, params, "converse")
        response = await self._client._sender.send(
            "POST", call.url, call.body, extra_headers=call.headers, timeout=call.timeout
        )
        return _finish(response, call)

    async def stream(self, **params: Unpack[ConverseParams]) -> AsyncConverseStream:
        """Bedrock's ``ConverseStream``: ``stream = await client.converse.stream(...)``."""
        from ..converse._stream import AsyncConverseStream

        call = _prepare(self._client._core, params, "converse-stream")
        response, events = await self._client._sender.send_stream(
            "POST", call.url, call.body, aprimed, extra_headers=call.headers,
            timeout=call.timeout, accept=EVENTSTREAM,
        )  # fmt: skip
        return AsyncConverseStream(response, events=events, cost=call.cost)
