"""The CountTokens route: ``POST /model/{modelId}/count-tokens``.

The count comes from :mod:`.tokens`, the counter the engine reports usage with, so for the
same input ``inputTokens`` here equals ``usage.input_tokens`` of an InvokeModel call
(without prompt caching, which splits usage into cache reads and writes).

Input, as botocore's ``CountTokensInput`` union: ``{"invokeModel": {"body": base64}}`` (the
InvokeModel body, validated as InvokeModel validates it, documents included) or
``{"converse": {...}}`` (translated to the Messages body exactly as the Converse routes
translate it, so the count equals a Converse call's ``usage.inputTokens`` too).

Model IDs: Bedrock counts tokens for foundation models only; inference-profile IDs and
ARNs of profiles get "The provided model doesn't support counting tokens." (the answer
users report from the real service), unknown IDs "The provided model identifier is invalid."
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Final

from ..catalog import Catalog, ModelInfo, Verdict
from ..wire.converse import (
    ConverseTranslationError,
    conversation_violation,
    first_violation,
    from_converse_request,
)
from . import json_body, tokens
from .app import EmulatorApp
from .converse import conversation_message, translation_message
from .document_checks import check_converse_documents, check_invoke_documents
from .errors import validation_error
from .http_types import Request, Response
from .model_ids import INVALID_MODEL, runtime_error
from .rule_checks import RequestView, conversation_skips, enforce, lenient_skips
from .validation import validate_invoke_body

__all__ = ["NOT_SUPPORTED", "register"]

NOT_SUPPORTED: Final = "The provided model doesn't support counting tokens."
_FOUNDATION_ARN_MARK: Final = ":foundation-model/"


def register(app: EmulatorApp) -> None:
    """Install the CountTokens route."""
    lenient = app.config.lenient

    async def count_tokens(request: Request) -> Response:
        return await _count_tokens(request, lenient=lenient)

    app.add_route("POST", "/model/{modelId}/count-tokens", count_tokens, operation="CountTokens")


def _model(model_id: str) -> ModelInfo:
    catalog = Catalog.default()
    base = model_id
    if model_id.startswith("arn:"):
        if _FOUNDATION_ARN_MARK not in model_id:
            info = catalog.identify(model_id)
            raise validation_error(NOT_SUPPORTED if info is not None else INVALID_MODEL)
        base = model_id.split(_FOUNDATION_ARN_MARK, 1)[1]
    info = catalog.identify(base)
    if info is None or base in catalog.mended_ids():  # Bedrock does not mend IDs
        raise validation_error(INVALID_MODEL)
    if info.id != base:  # a profile ID (global./us./...) or an alias
        raise validation_error(NOT_SUPPORTED)
    if info.lifecycle == "eol":
        raise runtime_error(Verdict.END_OF_LIFE, info)
    if info.refuses("count-tokens"):  # e.g. Opus 5 (AWS card): count on mantle instead
        raise validation_error(NOT_SUPPORTED)
    return info


def _input(payload: object) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("input"), Mapping):
        raise validation_error(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            "Member must not be null"
        )
    # botocore's shapes, as the Converse routes check theirs: the input union
    # ("CountTokensInput object at input must set one of the following keys: invokeModel,
    # converse."), then the converse member (paths relative to it, as Converse words them).
    members = [(k, v) for k, v in payload["input"].items() if v is not None]
    problem = first_violation({"input": payload["input"]}, "CountTokensRequest")
    if len(members) != 1 or members[0][0] not in ("invokeModel", "converse"):
        raise validation_error(problem or "Malformed input request.")
    kind, value = members[0]
    if kind == "converse" and (problem := first_violation(value, "ConverseTokensRequest")):
        raise validation_error(problem)
    return kind, value


def _invoke_body(
    member: Mapping[str, Any], info: ModelInfo, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    encoded = member.get("body")
    if not isinstance(encoded, str):
        raise validation_error(
            "1 validation error detected: Value at 'input.invokeModel.body' failed to satisfy "
            "constraint: Member must not be null"
        )
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise validation_error("input.invokeModel.body must be base64-encoded.") from None
    if b'"max_tokens"' not in raw:  # counting needs no output budget: supply one to validate
        try:
            parsed = json_body.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            raw = json.dumps({**parsed, "max_tokens": 1}).encode()
    limit = lambda betas: info.output_limit(list(betas))  # noqa: E731
    body = validate_invoke_body(raw, max_output_tokens=limit, skip=skip)
    check_invoke_documents(body)
    return body


def _converse_body(member: Mapping[str, Any]) -> dict[str, Any]:
    """The Messages body the Converse routes would run (same translation, same count)."""
    try:
        return from_converse_request(member)
    except ConverseTranslationError as exc:
        raise validation_error(translation_message(exc)) from None


async def _count_tokens(request: Request, *, lenient: bool) -> Response:
    info = _model(request.path_params["modelId"])
    try:
        payload = request.json()
    except json_body.MalformedJson as error:
        raise validation_error(json_body.malformed_message("CountTokens", error)) from None
    kind, member = _input(payload)
    if kind == "invokeModel":
        body = _invoke_body(member, info, lenient_skips(lenient))
        enforce(RequestView("count-tokens", info, body), lenient=lenient)
    else:
        limits = Catalog.default().pdf_limits
        skip = conversation_skips(lenient)
        violation = conversation_violation(member.get("messages") or [], limits, skip)
        if violation is not None:  # the same conversation rules as Converse's
            raise validation_error(conversation_message(violation))
        check_converse_documents(member, info)
        body = _converse_body(member)
        enforce(RequestView("count-tokens", info, body, member), lenient=lenient)
    return Response.json({"inputTokens": tokens.count_input_tokens(body)})
