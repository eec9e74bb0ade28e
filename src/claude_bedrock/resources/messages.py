"""``client.messages``: the Messages API over Bedrock's InvokeModel.

The signatures are the Anthropic SDK's (keyword-only, same names, same defaults) plus a
few Bedrock facts as keywords of our own: ``context_1m`` (the 1M-token beta) and
``endpoint`` (``"global"`` or ``"regional"``, when the model ID does not say).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ..types.message import Cost, Message
from ._params import PreparedCall, model_path, prepare

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..streaming import AsyncMessageStreamManager, MessageStreamManager
    from ..types.count_tokens import MessageTokensCount
    from .batches import AsyncBatches, Batches

__all__ = ["Messages", "AsyncMessages"]

Endpoint = Literal["global", "regional"]


def _params(
    model: str,
    max_tokens: int,
    messages: Iterable[Mapping[str, Any]],
    **optional: Any,
) -> dict[str, Any]:
    params: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": messages}
    if not isinstance(messages, list):
        params["messages"] = list(messages)
    params.update(optional)
    return params


def finish_message(response: httpx.Response, call: PreparedCall) -> Message:
    """Parse an InvokeModel answer and attach what Bedrock says outside the body."""
    message = Message.model_validate_json(response.content)
    message._request_id = response.headers.get("x-amzn-requestid")
    message._cost = cost_of(message, call)
    return message


def cost_of(message: Message, call: PreparedCall) -> Cost | None:
    info = call.resolved.info
    if info is None:
        return None
    from ..catalog import cost

    endpoint_type = call.resolved.endpoint_type
    usd = cost(info, message.usage, endpoint_type)
    return Cost(usd=usd, model=info.id, endpoint_type=endpoint_type)


class Messages:
    """Synchronous ``client.messages``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    def create(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Iterable[Mapping[str, Any]],
        system: str | Iterable[Mapping[str, Any]] | None = None,
        stop_sequences: list[str] | None = None,
        stream: bool = False,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        tools: Iterable[Mapping[str, Any]] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        service_tier: str | None = None,
        betas: Iterable[str] | None = None,
        context_1m: bool | None = None,
        endpoint: Endpoint | None = None,
        api: Literal["invoke", "converse"] = "invoke",
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Any:
        """Send one Messages API call; returns a :class:`Message` (or a stream if ``stream``)."""
        call = prepare(
            self._client._core,
            _params(
                model,
                max_tokens,
                messages,
                system=system,
                stop_sequences=stop_sequences,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                tools=list(tools) if tools is not None else None,
                tool_choice=tool_choice,
                metadata=metadata,
                thinking=thinking,
                service_tier=service_tier,
            ),  # fmt: skip
            betas=betas,
            extra_headers=extra_headers,
            extra_body=extra_body,
            context_1m=context_1m,
            endpoint=endpoint,
        )
        if api == "converse":
            from ..converse import messages_via_converse

            return messages_via_converse(self._client, call, stream=stream, timeout=timeout)
        if stream:
            from ..streaming import open_stream

            return open_stream(self._client, call, timeout=timeout)
        core = self._client._core
        response = self._client._sender.send(
            "POST",
            core.url("runtime", model_path(call.resolved.model_id, "invoke")),
            call.encode(),
            extra_headers=call.headers,
            timeout=timeout,
        )
        return finish_message(response, call)

    def stream(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Iterable[Mapping[str, Any]],
        system: str | Iterable[Mapping[str, Any]] | None = None,
        stop_sequences: list[str] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        tools: Iterable[Mapping[str, Any]] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        service_tier: str | None = None,
        betas: Iterable[str] | None = None,
        context_1m: bool | None = None,
        endpoint: Endpoint | None = None,
        api: Literal["invoke", "converse"] = "invoke",
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> MessageStreamManager:
        """A context manager over a streamed call, with the Anthropic SDK's helpers.

        Nothing is sent until the ``with`` block is entered.
        """
        from ..streaming import MessageStreamManager

        call = prepare(
            self._client._core,
            _params(
                model,
                max_tokens,
                messages,
                system=system,
                stop_sequences=stop_sequences,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                tools=list(tools) if tools is not None else None,
                tool_choice=tool_choice,
                metadata=metadata,
                thinking=thinking,
                service_tier=service_tier,
            ),  # fmt: skip
            betas=betas,
            extra_headers=extra_headers,
            extra_body=extra_body,
            context_1m=context_1m,
            endpoint=endpoint,
        )
        return MessageStreamManager(self._client, call, timeout=timeout, api=api)

    @cached_property
    def batches(self) -> Batches:
        """Message Batches over Bedrock batch inference (S3 JSONL in, S3 JSONL out)."""
        from .batches import Batches

        return Batches(self._client)

    def count_tokens(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        system: str | Iterable[Mapping[str, Any]] | None = None,
        tools: Iterable[Mapping[str, Any]] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        betas: Iterable[str] | None = None,
        context_1m: bool | None = None,
        endpoint: Endpoint | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> MessageTokensCount:
        """Count input tokens with Bedrock's CountTokens (the Anthropic SDK refuses to)."""
        from .count_tokens import count_tokens

        call = prepare(
            self._client._core,
            _params(
                model,
                1,
                messages,
                system=system,
                tools=list(tools) if tools is not None else None,
                tool_choice=tool_choice,
                thinking=thinking,
            ),  # fmt: skip
            betas=betas,
            extra_headers=extra_headers,
            extra_body=extra_body,
            context_1m=context_1m,
            endpoint=endpoint,
        )
        return count_tokens(self._client, call, timeout=timeout)


class AsyncMessages:
    """Asynchronous ``client.messages``."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    async def create(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Iterable[Mapping[str, Any]],
        system: str | Iterable[Mapping[str, Any]] | None = None,
        stop_sequences: list[str] | None = None,
        stream: bool = False,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        tools: Iterable[Mapping[str, Any]] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        service_tier: str | None = None,
        betas: Iterable[str] | None = None,
        context_1m: bool | None = None,
        endpoint: Endpoint | None = None,
        api: Literal["invoke", "converse"] = "invoke",
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Any:
        """Send one Messages API call; returns a :class:`Message` (or a stream if ``stream``)."""
        call = prepare(
            self._client._core,
            _params(
                model,
                max_tokens,
                messages,
                system=system,
                stop_sequences=stop_sequences,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                tools=list(tools) if tools is not None else None,
                tool_choice=tool_choice,
                metadata=metadata,
                thinking=thinking,
                service_tier=service_tier,
            ),  # fmt: skip
            betas=betas,
            extra_headers=extra_headers,
            extra_body=extra_body,
            context_1m=context_1m,
            endpoint=endpoint,
        )
        if api == "converse":
            from ..converse import amessages_via_converse

            return await amessages_via_converse(self._client, call, stream=stream, timeout=timeout)
        if stream:
            from ..streaming import aopen_stream

            return await aopen_stream(self._client, call, timeout=timeout)
        core = self._client._core
        response = await self._client._sender.send(
            "POST",
            core.url("runtime", model_path(call.resolved.model_id, "invoke")),
            call.encode(),
            extra_headers=call.headers,
            timeout=timeout,
        )
        return finish_message(response, call)

    def stream(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Iterable[Mapping[str, Any]],
        system: str | Iterable[Mapping[str, Any]] | None = None,
        stop_sequences: list[str] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        tools: Iterable[Mapping[str, Any]] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        service_tier: str | None = None,
        betas: Iterable[str] | None = None,
        context_1m: bool | None = None,
        endpoint: Endpoint | None = None,
        api: Literal["invoke", "converse"] = "invoke",
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> AsyncMessageStreamManager:
        """A context manager over a streamed call, with the Anthropic SDK's helpers.

        Nothing is sent until the ``with`` block is entered.
        """
        from ..streaming import AsyncMessageStreamManager

        call = prepare(
            self._client._core,
            _params(
                model,
                max_tokens,
                messages,
                system=system,
                stop_sequences=stop_sequences,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                tools=list(tools) if tools is not None else None,
                tool_choice=tool_choice,
                metadata=metadata,
                thinking=thinking,
                service_tier=service_tier,
            ),  # fmt: skip
            betas=betas,
            extra_headers=extra_headers,
            extra_body=extra_body,
            context_1m=context_1m,
            endpoint=endpoint,
        )
        return AsyncMessageStreamManager(self._client, call, timeout=timeout, api=api)

    @cached_property
    def batches(self) -> AsyncBatches:
        """Message Batches over Bedrock batch inference (S3 JSONL in, S3 JSONL out)."""
        from .batches import AsyncBatches

        return AsyncBatches(self._client)

    async def count_tokens(
        self,
        *,
        model: str,
        messages: Iterable[Mapping[str, Any]],
        system: str | Iterable[Mapping[str, Any]] | None = None,
        tools: Iterable[Mapping[str, Any]] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        betas: Iterable[str] | None = None,
        context_1m: bool | None = None,
        endpoint: Endpoint | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> MessageTokensCount:
        """Count input tokens with Bedrock's CountTokens (the Anthropic SDK refuses to)."""
        from .count_tokens import acount_tokens

        call = prepare(
            self._client._core,
            _params(
                model,
                1,
                messages,
                system=system,
                tools=list(tools) if tools is not None else None,
                tool_choice=tool_choice,
                thinking=thinking,
            ),  # fmt: skip
            betas=betas,
            extra_headers=extra_headers,
            extra_body=extra_body,
            context_1m=context_1m,
            endpoint=endpoint,
        )
        return await acount_tokens(self._client, call, timeout=timeout)
