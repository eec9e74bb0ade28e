"""Structured outputs: ``messages.parse(output_format=...)`` and
``messages.stream(output_format=...)``, as the official SDK 2.16 offers them.

A type (a pydantic model, a ``TypedDict``, a dataclass, anything ``pydantic.TypeAdapter``
takes) becomes a JSON schema, made strict as the Anthropic API wants it
(:func:`transform_schema`: closed objects, only the keywords the API constrains on, the
others folded into the description so the model may still follow them), and is sent as
``output_config.format`` merged into the caller's ``output_config`` (``effort`` stays).
The answer's text blocks are validated against the type (:mod:`..types.parsed`).

Everything here is written on top of the resource's own ``create`` / ``stream``, so a
subclass (``client.beta.messages``) gets ``parse`` unchanged, and nothing here runs for a
call that does not ask for a schema. Whether the call's surface takes a schema is data
(:mod:`..wire.structured_outputs`): a certain refusal fails before sending, a conflict
between sources warns and sends.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic

import pydantic

from .._exceptions import ClientValidationError
from ..streaming import (
    AsyncMessageStream,
    AsyncMessageStreamManager,
    MessageStream,
    MessageStreamManager,
)
from ..types.message import TextBlock
from ..types.parsed import ParsedMessage, ResponseFormatT, parsed_block, parsed_message
from ..wire.structured_outputs import STRUCTURED_OUTPUTS, SUPPORTED_ON
from ._surfaces import surface_for

if TYPE_CHECKING:
    from ..types.message import Message

__all__ = [
    "AsyncParsedMessageStream",
    "AsyncParsedMessageStreamManager",
    "ParsedMessageStream",
    "ParsedMessageStreamManager",
    "aparse",
    "parse",
    "parsed_stream",
    "transform_schema",
    "with_output_format",
]

#: ``format`` values of a string schema the API constrains on (others go to the description).
_STRING_FORMATS = frozenset({
    "date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid",
})  # fmt: skip
_adapters: dict[Any, pydantic.TypeAdapter[Any]] = {}
_schemas: dict[Any, dict[str, Any]] = {}


def _primitive(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def transform_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema made strict for ``output_config.format`` (what the official SDK's
    ``transform_schema`` makes of it, key for key, so both clients send the same body).

    Objects are closed (``additionalProperties: false``); ``$defs`` and ``$ref`` are kept;
    ``oneOf`` becomes ``anyOf``; string ``format``\\ s outside :data:`_STRING_FORMATS`,
    ``minItems`` above 1 and every other keyword the API does not take are appended to the
    description as ``{key: value, ...}``.
    """
    rest = dict(schema)
    strict: dict[str, Any] = {}
    defs = rest.pop("$defs", None)
    if defs is not None:
        strict["$defs"] = {name: transform_schema(sub) for name, sub in defs.items()}
    ref = rest.pop("$ref", None)
    if ref is not None:
        strict["$ref"] = ref
        return strict
    kind = rest.pop("type", None)
    any_of, one_of = rest.pop("anyOf", None), rest.pop("oneOf", None)
    all_of = rest.pop("allOf", None)
    enum = rest.get("enum")
    if isinstance(enum, list) and enum and all(_primitive(v) for v in enum):
        strict["enum"] = list(rest.pop("enum"))
    if "const" in rest and _primitive(rest["const"]):
        strict["const"] = rest.pop("const")
    literal = "enum" in strict or "const" in strict
    if literal:
        kind = None
    if isinstance(any_of, list):
        strict["anyOf"] = [transform_schema(variant) for variant in any_of]
    elif isinstance(one_of, list):
        strict["anyOf"] = [transform_schema(variant) for variant in one_of]
    elif isinstance(all_of, list):
        strict["allOf"] = [transform_schema(variant) for variant in all_of]
    elif not literal:
        if kind is None:
            raise ValueError(
                "Schema must have a 'type', 'anyOf', 'oneOf', or 'allOf' field, or a 'const' "
                "or non-empty 'enum' of strings, numbers, booleans, or null."
            )
        strict["type"] = kind
    for key in ("description", "title"):
        value = rest.pop(key, None)
        if value is not None:
            strict[key] = value
    if kind == "object":
        properties = rest.pop("properties", {})
        strict["properties"] = {name: transform_schema(sub) for name, sub in properties.items()}
        rest.pop("additionalProperties", None)
        strict["additionalProperties"] = False
        required = rest.pop("required", None)
        if required is not None:
            strict["required"] = list(required) if isinstance(required, list) else required
    elif kind == "string":
        fmt = rest.pop("format", None)
        if fmt and fmt in _STRING_FORMATS:
            strict["format"] = fmt
        elif fmt:
            rest["format"] = fmt
    elif kind == "array":
        items = rest.pop("items", None)
        if items is not None:
            strict["items"] = transform_schema(items)
        min_items = rest.pop("minItems", None)
        if min_items in (0, 1):
            strict["minItems"] = min_items
        elif min_items is not None:
            rest["minItems"] = min_items
    if rest:
        extra = "{" + ", ".join(f"{key}: {value}" for key, value in rest.items()) + "}"
        described = strict.get("description")
        strict["description"] = extra if described is None else f"{described}\n\n{extra}"
    return strict


def _adapter(output_format: Any) -> pydantic.TypeAdapter[Any]:
    """One ``TypeAdapter`` per type (building one costs far more than a call)."""
    try:
        return _adapters[output_format]
    except KeyError:
        adapter = _adapters[output_format] = pydantic.TypeAdapter(output_format)
        return adapter
    except TypeError:  # an unhashable annotation: not cached
        return pydantic.TypeAdapter(output_format)


def output_format_param(output_format: Any) -> dict[str, Any]:
    """``{"type": "json_schema", "schema": ...}`` for a type (the JSON schema cached per type,
    the strict copy made per call, as the official SDK does)."""
    if isinstance(output_format, str | Mapping):
        raise TypeError(
            "`output_format` must be a type; pass a schema dict as "
            "`output_config={'format': ...}` instead"
        )
    try:
        schema = _schemas.get(output_format)
    except TypeError:
        schema = None
    if schema is None:
        try:
            schema = _adapter(output_format).json_schema()
        except pydantic.errors.PydanticSchemaGenerationError as exc:
            raise TypeError(
                "Could not generate JSON schema for the given `output_format` type. "
                "Use a type that works with `pydantic.TypeAdapter`"
            ) from exc
        with contextlib.suppress(TypeError):  # an unhashable annotation: not cached
            _schemas[output_format] = schema
    return {"type": "json_schema", "schema": transform_schema(schema)}


def _check_surface(resource: Any, api: object) -> None:
    """Fail before sending where a schema cannot succeed; warn where sources disagree."""
    surface = surface_for(resource._client._core, api if isinstance(api, str) else None)
    row = STRUCTURED_OUTPUTS.get(surface)
    if row is None or row.status in ("supported", "undocumented"):
        return
    where = f"the {surface} surface"
    if row.status == "refused":
        raise ClientValidationError(
            f"Structured outputs (output_config.format) are not supported on {where} "
            f"(source: {', '.join(row.sources)}); use {SUPPORTED_ON}."
        )
    warnings.warn(
        f"Structured outputs (output_config.format) on {where}: AWS documents a 400 for it on "
        f"an older page and support that varies by model on a newer one ({', '.join(row.sources)}"
        f", checked {row.checked}). Sent as asked; {SUPPORTED_ON} supports it.",
        UserWarning,
        stacklevel=5,
    )


def with_output_format(params: Mapping[str, Any], output_format: Any) -> Any:
    """``params`` with ``output_format``'s strict schema as ``output_config.format``, merged
    into the caller's ``output_config`` (the format replaces one given there, as the SDK's
    ``messages.parse`` does)."""
    fmt = output_format_param(output_format)
    config = params.get("output_config")
    merged = {**config, "format": fmt} if isinstance(config, Mapping) else {"format": fmt}
    return {**params, "output_config": merged}


def _structured_call(
    resource: Any, output_format: Any, params: dict[str, Any]
) -> tuple[dict[str, Any], Callable[[str], Any] | None]:
    """The keywords for ``create`` / ``stream`` (``output_config.format`` merged in) and the
    text parser (None without an output type, as the SDK's ``parse`` then parses nothing)."""
    if "stream" in params:
        raise TypeError("messages.parse: unexpected keyword argument(s): stream")
    if output_format is None:
        return params, None
    params = with_output_format(params, output_format)
    _check_surface(resource, params.get("api"))
    return params, _adapter(output_format).validate_json


def parse(resource: Any, output_format: Any, params: dict[str, Any]) -> ParsedMessage[Any]:
    """``Messages.parse``: ``create`` with the schema, its answer parsed."""
    kwargs, parse_text = _structured_call(resource, output_format, params)
    message: Message = resource.create(**kwargs)
    return parsed_message(message, parse_text)


async def aparse(resource: Any, output_format: Any, params: dict[str, Any]) -> ParsedMessage[Any]:
    """``AsyncMessages.parse``."""
    kwargs, parse_text = _structured_call(resource, output_format, params)
    message: Message = await resource.create(**kwargs)
    return parsed_message(message, parse_text)


def parsed_stream(resource: Any, output_format: Any, params: dict[str, Any], *, sync: bool) -> Any:
    """``messages.stream(output_format=...)``: the resource's own stream manager, whose
    stream's ``get_final_message()`` returns a :class:`ParsedMessage`."""
    kwargs, parse_text = _structured_call(resource, output_format, params)
    inner = resource.stream(**kwargs)
    manager = ParsedMessageStreamManager if sync else AsyncParsedMessageStreamManager
    return manager(inner, parse_text)


# ----------------------------------------------------------------------------- streams


def _adopt(cls: Any, stream: Any, parse_text: Any, *, sync: bool) -> Any:
    """``stream`` (already opened) as an instance of its parsing subclass ``cls``: the same
    state and underlying events, whose ``content_block_stop`` text blocks and
    ``message_stop`` message are parsed (the SDK's ``Parsed...Event`` shapes)."""
    adopted = cls.__new__(cls)
    adopted.__dict__.update(stream.__dict__)
    adopted._parse_text = parse_text
    events = (_parsed_events if sync else _aparsed_events)(stream._iterator, parse_text)
    adopted._iterator = events
    adopted._generators = (events, *stream._generators)
    return adopted


def _parsed_event(event: Any, parse_text: Any) -> Any:
    kind = getattr(event, "type", None)
    if kind == "content_block_stop" and isinstance(
        getattr(event, "content_block", None), TextBlock
    ):
        return event.model_copy(
            update={"content_block": parsed_block(event.content_block, parse_text)}
        )
    if kind == "message_stop" and getattr(event, "message", None) is not None:
        return event.model_copy(update={"message": parsed_message(event.message, parse_text)})
    return event


def _parsed_events(events: Iterator[Any], parse_text: Any) -> Generator[Any, None, None]:
    for event in events:
        yield _parsed_event(event, parse_text)


async def _aparsed_events(events: AsyncIterator[Any], parse_text: Any) -> AsyncGenerator[Any, None]:
    async for event in events:
        yield _parsed_event(event, parse_text)


class ParsedMessageStream(MessageStream, Generic[ResponseFormatT]):
    """A :class:`~..streaming.MessageStream` whose final message is parsed."""

    _parse_text: Callable[[str], Any] | None

    def get_final_message(self) -> ParsedMessage[ResponseFormatT]:
        """The accumulated message, its text validated against the output type."""
        return parsed_message(super().get_final_message(), self._parse_text)


class AsyncParsedMessageStream(AsyncMessageStream, Generic[ResponseFormatT]):
    """Async :class:`ParsedMessageStream`."""

    _parse_text: Callable[[str], Any] | None

    async def get_final_message(self) -> ParsedMessage[ResponseFormatT]:
        """The accumulated message, its text validated against the output type."""
        return parsed_message(await super().get_final_message(), self._parse_text)


class ParsedMessageStreamManager(MessageStreamManager, Generic[ResponseFormatT]):
    """The resource's stream manager (any surface), entered as a parsing stream."""

    def __init__(self, inner: MessageStreamManager, parse_text: Any) -> None:
        self.__dict__.update(inner.__dict__)
        self._inner = inner
        self._parse_text = parse_text

    def _open(self, sync: bool) -> Any:
        return self._inner._open(sync)

    def __enter__(self) -> ParsedMessageStream[ResponseFormatT]:
        stream = super().__enter__()
        self._stream = _adopt(ParsedMessageStream, stream, self._parse_text, sync=True)
        return self._stream  # type: ignore[no-any-return]


class AsyncParsedMessageStreamManager(AsyncMessageStreamManager, Generic[ResponseFormatT]):
    """Async :class:`ParsedMessageStreamManager`."""

    def __init__(self, inner: AsyncMessageStreamManager, parse_text: Any) -> None:
        self.__dict__.update(inner.__dict__)
        self._inner = inner
        self._parse_text = parse_text

    def _open(self, sync: bool) -> Any:
        return self._inner._open(sync)

    async def __aenter__(self) -> AsyncParsedMessageStream[ResponseFormatT]:
        stream = await super().__aenter__()
        self._stream = _adopt(AsyncParsedMessageStream, stream, self._parse_text, sync=False)
        return self._stream  # type: ignore[no-any-return]
