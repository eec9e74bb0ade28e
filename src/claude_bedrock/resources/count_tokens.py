"""Token counting over Bedrock's CountTokens (``POST /model/{modelId}/count-tokens``).

The request wraps the input in botocore's ``CountTokensInput`` union: either
``{"invokeModel": {"body": <base64 of the InvokeModel body>}}`` (``Body`` is a blob, and
blobs travel as base64 in JSON) or ``{"converse": {"messages": ..., "system": ...}}``.
The answer is ``{"inputTokens": N}``: the input tokens a call with the same input is
billed, which is what the Anthropic SDK's ``MessageTokensCount`` reports.

CountTokens takes a *foundation model* ID: Bedrock refuses inference-profile IDs
(``global.``/``us.``...) and ARNs with "The provided model doesn't support counting
tokens." (observed live and reported by several projects, e.g. pydantic-ai #4001). So the
call goes to the model's base ID whatever profile the caller names; a model the catalogue
does not know is sent as given and Bedrock decides.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from .._body import invalid, json_object
from ..types.count_tokens import MessageTokensCount
from ..wire.messages_api import BASE_PATH, COUNT_TOKENS_PATH, MANTLE_SIGNING_NAME
from ._flow import Flow, Request, SendOptions, run
from ._params import PreparedCall, model_path

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from .._request_core import RequestCore
    from ..catalog import ResolvedModel

__all__ = [
    "messages_count_flow",
    "converse_count_flow",
    "converse_input",
    "count_converse_tokens",
    "count_flow",
    "invoke_input",
]

Timeout = float | httpx.Timeout | None
_OPERATION = "count-tokens"
#: The Messages API's path after bedrock-mantle's ``.../anthropic`` base.
_MESSAGES_COUNT_PATH = COUNT_TOKENS_PATH.removeprefix(BASE_PATH)
#: Headers of InvokeModel that CountTokens does not define (not forwarded).
_INVOKE_ONLY_HEADERS = frozenset({"x-amzn-bedrock-service-tier"})


def count_tokens_model_id(resolved: ResolvedModel) -> str:
    """The ID CountTokens accepts for this model: its base (foundation model) ID."""
    return resolved.info.id if resolved.info is not None else resolved.model_id


def invoke_input(raw_body: bytes) -> bytes:
    """The CountTokens request for an encoded InvokeModel body, built in one allocation."""
    return b"".join((b'{"input":{"invokeModel":{"body":"', base64.b64encode(raw_body), b'"}}}'))


def _blob(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def converse_input(converse: Mapping[str, Any]) -> bytes:
    """The CountTokens request for a Converse input (``messages``, ``system``, ``toolConfig``,
    ``additionalModelRequestFields``); raw ``bytes`` values (boto3 style) become base64."""
    payload = {"input": {"converse": dict(converse)}}
    return json.dumps(payload, separators=(",", ":"), default=_blob).encode()


def _headers(call: PreparedCall) -> dict[str, str]:
    return {k: v for k, v in call.headers.items() if k.lower() not in _INVOKE_ONLY_HEADERS}


def _count(response: httpx.Response, operation: str, field: str) -> MessageTokensCount:
    """The count of a token-counting answer: ``field`` must be a non-negative integer."""
    data = json_object(response, operation, empty=False)
    tokens = data.get(field)
    if type(tokens) is not int or tokens < 0:
        raise invalid(response, f"{operation} answered without an integer {field!r}", data)
    return MessageTokensCount(input_tokens=tokens)


def _parse(response: httpx.Response) -> MessageTokensCount:
    return _count(response, "CountTokens", "inputTokens")


def count_flow(call: PreparedCall, timeout: Timeout = None) -> Flow[MessageTokensCount]:
    """Count the input tokens of a prepared InvokeModel call (``messages.count_tokens``)."""
    path = model_path(count_tokens_model_id(call.resolved), _OPERATION) + call.query
    options: SendOptions = {"extra_headers": _headers(call), "timeout": timeout}
    response = yield Request("POST", "runtime", path, invoke_input(call.encode()), options)
    return _parse(response)


def _parse_messages(response: httpx.Response) -> MessageTokensCount:
    return _count(response, "count_tokens", "input_tokens")


def messages_count_flow(call: PreparedCall, timeout: Timeout = None) -> Flow[MessageTokensCount]:
    """Count the input tokens of a prepared bedrock-mantle call with the Messages API's
    ``POST .../anthropic/v1/messages/count_tokens`` (answer: ``{"input_tokens": n}``).

    bedrock-runtime's ``/anthropic`` path has no ``count_tokens`` (it answers
    ``UnknownOperationException``), so bedrock-mantle is the only Messages API host asked.
    """
    from ._surfaces import count_body

    options: SendOptions = {
        "extra_headers": call.headers, "timeout": timeout, "signing": MANTLE_SIGNING_NAME,
    }  # fmt: skip
    path = _MESSAGES_COUNT_PATH + call.query
    response = yield Request("POST", "mantle", path, count_body(call), options)
    return _parse_messages(response)


def converse_count_flow(
    core: RequestCore, model: str, converse: Mapping[str, Any], timeout: Timeout = None
) -> Flow[MessageTokensCount]:
    """Count the input tokens of a Converse input."""
    path = model_path(count_tokens_model_id(core.resolve_model(model)), _OPERATION)
    options: SendOptions = {"timeout": timeout}
    response = yield Request("POST", "runtime", path, converse_input(converse), options)
    return _parse(response)


def count_converse_tokens(
    client: AnthropicBedrock, model: str, converse: Mapping[str, Any], *, timeout: Timeout = None
) -> MessageTokensCount:
    """Count the input tokens of a Converse input, blocking (async clients:
    ``arun(client, converse_count_flow(client._core, ...))``)."""
    return run(client, converse_count_flow(client._core, model, converse, timeout))
