"""A successful answer's body -> JSON or a typed object, or :class:`APIResponseValidationError`.

A 200 is not always Bedrock's answer: a proxy's HTML page, an error document sent with the
wrong status, ``[]``, a body cut short, a field of the wrong type. Whatever the client reads
from a 2xx body goes through here (or through :mod:`._parse` for messages and stream events,
which uses :func:`invalid` too), so a caller sees one of our errors, carrying the request
id, never ``JSONDecodeError``, pydantic's ``ValidationError``, ``TypeError`` or
``AttributeError`` from deep inside the client.

What the client does not know is let through, as botocore and the official SDK do: fields
it has no name for, a member missing from a list answer. Only what it cannot read, or reads
with the wrong type, is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

import pydantic
import pydantic_core

from ._exceptions import APIResponseValidationError

if TYPE_CHECKING:
    import httpx

__all__ = ["invalid", "json_body", "json_object", "repeated_token", "validated"]

M = TypeVar("M", bound=pydantic.BaseModel)

#: How much of an unreadable body the error keeps (``exc.body``): enough to recognise a
#: proxy's page, not a whole download.
KEEP = 2000


def invalid(
    response: httpx.Response | None, what: str, body: object | None = None
) -> APIResponseValidationError:
    """The error for an answer that is not what the operation returns; ``what`` says why."""
    if isinstance(body, bytes | str):
        body = body[:KEEP]
    where = ""
    if response is not None:
        kind = response.headers.get("content-type") or "no content-type"
        where = f" (HTTP {response.status_code}, {kind})"
    message = f"{what}: the server's answer{where} is not a valid Bedrock response"
    return APIResponseValidationError(response, body, message=message)


def json_body(response: httpx.Response, operation: str) -> Any:
    """The body as JSON (anything JSON can hold); an empty body is None."""
    raw = response.content
    if not raw:
        return None
    try:
        return pydantic_core.from_json(raw)
    except ValueError as exc:
        what = f"{operation} answered with a body that is not JSON ({exc})"
        raise invalid(response, what, raw) from None


def json_object(response: httpx.Response, operation: str, *, empty: bool = True) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}`` when ``empty`` allows it."""
    if empty and not response.content:
        return {}
    data = json_body(response, operation)
    if not isinstance(data, dict):
        raise invalid(response, f"{operation} answered {_kind(data)}, not a JSON object", data)
    return data


def repeated_token(path: str, page: dict[str, Any]) -> str | None:
    """The ``nextToken`` of ``page`` if it is the one the request (``path``) sent: the same
    page again, for ever. botocore's paginators refuse it too ("The same next token was
    received twice")."""
    token = page.get("nextToken")
    if not isinstance(token, str) or "?" not in path:
        return None
    sent = parse_qs(path.split("?", 1)[1]).get("nextToken")
    return token if sent and sent[0] == token else None


def validated(
    cls: type[M], response: httpx.Response, operation: str, data: Any = None
) -> M:  # fmt: skip
    """``cls`` from the body (or from ``data``, already decoded); a body the type refuses is
    an :class:`APIResponseValidationError` naming the first field at fault."""
    try:
        if data is None:
            return cls.model_validate_json(response.content)
        return cls.model_validate(data)
    except pydantic.ValidationError as exc:
        what = f"{operation} answered {describe(exc)}"
        raise invalid(response, what, response.content if data is None else data) from None


def describe(exc: pydantic.ValidationError) -> str:
    """The first problem pydantic found, in words: ``a body that is not JSON (...)``,
    ``no `output` field``, ```usage.inputTokens` of the wrong type ('x')``."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    if first["type"] == "json_invalid":
        return f"a body that is not JSON ({first['msg']})"
    if not where:
        return f"{_kind(first['input'])}, not a JSON object{more}"
    if first["type"] == "missing":
        return f"without `{where}`{more}"
    return f"`{where}` = {_short(first['input'])} ({first['msg']}){more}"


def _kind(data: Any) -> str:
    if data is None:
        return "null"
    return {list: "a JSON array", str: "a JSON string", bool: "a JSON boolean"}.get(
        type(data), "a JSON number"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
