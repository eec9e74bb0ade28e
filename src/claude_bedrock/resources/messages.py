"""``client.messages``: the Messages API over Bedrock's InvokeModel, Converse, or the
Messages API itself (bedrock-runtime's ``/anthropic`` path, or bedrock-mantle).

The parameters are the Anthropic SDK's (keyword-only, same names, same defaults) plus a
few Bedrock facts of our own: ``context_1m`` (the 1M-token beta), ``endpoint``
(``"global"`` or ``"regional"``, when the model ID does not say) and ``api`` (``"invoke"``,
``"converse"`` or ``"messages"``; the client's ``api=`` when omitted). They are declared
once, in :class:`MessageParams`, and shared by ``create``, ``stream`` and
``count_tokens``, sync and async; an unknown keyword is a ``TypeError`` as it would be
with the Anthropic SDK. ``AnthropicBedrockMantle`` uses the same resource (its calls all
take the bedrock-mantle surface).

This module is the resource classes, thin: the keywords and the call they build are
:mod:`._message_call`'s, where a call goes and what its answer becomes
:mod:`._message_send`'s, the fallbacks :mod:`._fallbacks`'s, many calls :mod:`._bulk`'s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Literal, Unpack, overload

from .. import _tracing
from .._placeholders import given
from ._message_call import Api as Api
from ._message_call import Endpoint as Endpoint
from ._message_call import MessageParams, prepare_call
from ._message_send import cost_of as cost_of  # the Converse translation's
from ._message_send import count_flow_for, manager_for, send
from ._message_send import finish_message as finish_message
from ._raw import RawResponses

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..streaming import AsyncMessageStreamManager, AsyncStream, MessageStreamManager, Stream
    from ..types.batches import MessageBatchIndividualResponse
    from ..types.count_tokens import MessageTokensCount
    from ..types.message import Message
    from ..types.parsed import ParsedMessage, ResponseFormatT
    from .batches import AsyncBatches, Batches

__all__ = ["Messages", "AsyncMessages", "MessageParams"]


class Messages(RawResponses):
    """Synchronous ``client.messages``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    @overload
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[False] = False, **params: Unpack[MessageParams],
    ) -> Message: ...  # fmt: skip
    @overload
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[True], **params: Unpack[MessageParams],
    ) -> Stream: ...  # fmt: skip
    @overload
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool, **params: Unpack[MessageParams],
    ) -> Message | Stream: ...  # fmt: skip
    def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool = False, **params: Unpack[MessageParams],
    ) -> Message | Stream:  # fmt: skip
        """Send one Messages API call; a :class:`Message`, or a :class:`Stream` of events."""
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import create

            return create(self._client, model, max_tokens, messages, params, stream)  # type: ignore[no-any-return]
        call = prepare_call(self._client, model, max_tokens, messages, params, stream=stream)
        return send(self._client, call, params, stream, sync=True)  # type: ignore[no-any-return]

    def stream(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> MessageStreamManager:  # fmt: skip
        """A context manager over a streamed call, with the Anthropic SDK's helpers.

        Nothing is sent until the ``with`` block is entered. ``output_format`` (a type):
        structured outputs, as :meth:`parse`; ``get_final_message()`` is then parsed.
        """
        if output_format is not None:
            from ._structured import parsed_stream

            kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
            return parsed_stream(self, output_format, kwargs, sync=True)  # type: ignore[no-any-return]
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import stream_manager

            return stream_manager(self._client, model, max_tokens, messages, params, sync=True)  # type: ignore[no-any-return]
        call = prepare_call(self._client, model, max_tokens, messages, params, stream=True)
        return manager_for(self._client, call, given(params.get("timeout")), sync=True)  # type: ignore[no-any-return]

    def parse(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: type[ResponseFormatT] | None = None, **params: Unpack[MessageParams],
    ) -> ParsedMessage[ResponseFormatT]:  # fmt: skip
        """Structured outputs: ``create`` with ``output_format``'s JSON schema as
        ``output_config.format``; the answer's ``parsed_output`` is the validated instance
        (see :mod:`._structured`)."""
        from ._structured import parse

        kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
        return parse(self, output_format, kwargs)

    def create_many(
        self,
        requests: Iterable[Mapping[str, Any]],
        *,
        concurrency: int | None = None,
        ordered: bool = True,
    ) -> Iterator[MessageBatchIndividualResponse]:
        """Many calls under the model's quota (adaptive concurrency, or ``concurrency``
        fixed), one result per request, in input order unless ``ordered=False``; a
        request's error is kept in its result, never raised. See :mod:`._bulk`."""
        from ._bulk import create_many

        return create_many(self._client, requests, concurrency=concurrency, ordered=ordered)

    @cached_property
    def batches(self) -> Batches:
        """Message Batches over Bedrock batch inference (S3 JSONL in, S3 JSONL out)."""
        from .batches import Batches

        return Batches(self._client)

    def count_tokens(
        self, *, model: str, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> MessageTokensCount:  # fmt: skip
        """Count input tokens: Bedrock's CountTokens, or the Messages API's ``count_tokens``
        on bedrock-mantle for the models only it counts (see
        :func:`._message_send.count_flow_for`)."""
        from ._flow import run

        if output_format is not None:  # the schema counts as input, as in the SDK
            from ._structured import with_output_format

            params = with_output_format(params, output_format)
        flow = count_flow_for(self._client, model, messages, params)
        return _tracing.count(self._client, model, partial(run, self._client, flow), sync=True)  # type: ignore[no-any-return]


class AsyncMessages(RawResponses):
    """Asynchronous ``client.messages``."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    @overload
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[False] = False, **params: Unpack[MessageParams],
    ) -> Message: ...  # fmt: skip
    @overload
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: Literal[True], **params: Unpack[MessageParams],
    ) -> AsyncStream: ...  # fmt: skip
    @overload
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool, **params: Unpack[MessageParams],
    ) -> Message | AsyncStream: ...  # fmt: skip
    async def create(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        stream: bool = False, **params: Unpack[MessageParams],
    ) -> Message | AsyncStream:  # fmt: skip
        """Send one Messages API call; a :class:`Message`, or an :class:`AsyncStream`."""
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import acreate

            return await acreate(self._client, model, max_tokens, messages, params, stream)  # type: ignore[no-any-return]
        call = prepare_call(self._client, model, max_tokens, messages, params, stream=stream)
        return await send(self._client, call, params, stream, sync=False)  # type: ignore[no-any-return]

    def stream(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> AsyncMessageStreamManager:  # fmt: skip
        """An async context manager over a streamed call (``async with``); ``output_format``
        as in :meth:`Messages.stream`."""
        if output_format is not None:
            from ._structured import parsed_stream

            kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
            return parsed_stream(self, output_format, kwargs, sync=False)  # type: ignore[no-any-return]
        if "fallbacks" in params or self._client._fallbacks:
            from ._fallbacks import stream_manager

            return stream_manager(self._client, model, max_tokens, messages, params, sync=False)  # type: ignore[no-any-return]
        call = prepare_call(self._client, model, max_tokens, messages, params, stream=True)
        return manager_for(self._client, call, given(params.get("timeout")), sync=False)  # type: ignore[no-any-return]

    async def parse(
        self, *, model: str, max_tokens: int, messages: Iterable[Mapping[str, Any]],
        output_format: type[ResponseFormatT] | None = None, **params: Unpack[MessageParams],
    ) -> ParsedMessage[ResponseFormatT]:  # fmt: skip
        """Async :meth:`Messages.parse`."""
        from ._structured import aparse

        kwargs = {"model": model, "max_tokens": max_tokens, "messages": messages, **params}
        return await aparse(self, output_format, kwargs)

    def create_many(
        self,
        requests: Iterable[Mapping[str, Any]],
        *,
        concurrency: int | None = None,
        ordered: bool = True,
    ) -> AsyncIterator[MessageBatchIndividualResponse]:
        """Async :meth:`Messages.create_many` (``async for result in ...``)."""
        from ._bulk import acreate_many

        return acreate_many(self._client, requests, concurrency=concurrency, ordered=ordered)

    @cached_property
    def batches(self) -> AsyncBatches:
        """Message Batches over Bedrock batch inference (S3 JSONL in, S3 JSONL out)."""
        from .batches import AsyncBatches

        return AsyncBatches(self._client)

    async def count_tokens(
        self, *, model: str, messages: Iterable[Mapping[str, Any]],
        output_format: Any = None, **params: Unpack[MessageParams],
    ) -> MessageTokensCount:  # fmt: skip
        """Async :meth:`Messages.count_tokens`."""
        from ._flow import arun

        if output_format is not None:
            from ._structured import with_output_format

            params = with_output_format(params, output_format)
        flow = count_flow_for(self._client, model, messages, params)
        counted = partial(arun, self._client, flow)
        return await _tracing.count(self._client, model, counted, sync=False)  # type: ignore[no-any-return]
