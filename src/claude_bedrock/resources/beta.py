"""``client.beta``: the official SDK's ``client.beta.messages``, on every client class.

Code written against the SDK calls ``client.beta.messages.create(..., betas=[...])`` for
anything in beta (context management, MCP servers, the tool runner...). Here the beta
resource *is* the messages resource: :class:`BetaMessages` subclasses :class:`Messages`,
so ``create``, ``stream``, ``count_tokens``, ``parse``, ``batches`` and the raw-response
wrappers are the same code, and ``betas=`` is sent as Bedrock expects on each surface
(:func:`._params.prepare`): the body's ``anthropic_beta`` list on InvokeModel (and on
CountTokens, whose body is an InvokeModel body), ``additionalModelRequestFields.
anthropic_beta`` on Converse (AWS's documented way for Claude's betas), and the
``anthropic-beta`` header on the Messages API (bedrock-runtime's ``/anthropic`` path and
bedrock-mantle). What only the beta resource has is :meth:`BetaMessages.tool_runner`.

Built on first use (``client.beta``, then ``.messages``): a client that never touches
``beta`` never imports this module.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn

from ._raw import RawResponses
from .messages import AsyncMessages, Messages

if TYPE_CHECKING:
    from .._client import AnthropicBedrock, AsyncAnthropicBedrock
    from ..tools._runner import AsyncToolRunner, ToolRunner  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "AsyncBeta",
    "AsyncBetaMessages",
    "AsyncMantleBeta",
    "AsyncMantleBetaMessages",
    "Beta",
    "BetaMessages",
    "MantleBeta",
    "MantleBetaMessages",
]


class BetaMessages(Messages):
    """``client.beta.messages``: :class:`Messages` (``create``, ``stream``,
    ``count_tokens``, ``parse``, ``batches``, all taking ``betas=``) and the tool runner."""

    def tool_runner(self, **params: Any) -> ToolRunner:
        """Run the tool-use loop (the SDK's ``beta.messages.tool_runner``): the same
        keywords as :meth:`create`, ``tools`` made with ``@beta_tool``."""
        from ..tools._runner import ToolRunner  # type: ignore[import-not-found,unused-ignore]

        return ToolRunner(self, params)  # type: ignore[no-any-return,unused-ignore]


class AsyncBetaMessages(AsyncMessages):
    """``client.beta.messages`` of the asyncio clients."""

    def tool_runner(self, **params: Any) -> AsyncToolRunner:
        """Async :meth:`BetaMessages.tool_runner` (tools made with ``@beta_async_tool``)."""
        from ..tools._runner import AsyncToolRunner  # type: ignore[import-not-found,unused-ignore]

        return AsyncToolRunner(self, params)  # type: ignore[no-any-return,unused-ignore]


_NO_BATCHES = (
    "bedrock-mantle serves no Message Batches: use AnthropicBedrock(...).beta.messages.batches "
    "(Bedrock batch inference) instead."
)


class MantleBetaMessages(BetaMessages):
    """``client.beta.messages`` of ``AnthropicBedrockMantle`` (no batches there)."""

    @property
    def batches(self) -> NoReturn:
        raise AttributeError(_NO_BATCHES)


class AsyncMantleBetaMessages(AsyncBetaMessages):
    """``client.beta.messages`` of ``AsyncAnthropicBedrockMantle`` (no batches there)."""

    @property
    def batches(self) -> NoReturn:
        raise AttributeError(_NO_BATCHES)


class Beta(RawResponses):
    """``client.beta`` of ``AnthropicBedrock``."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    @cached_property
    def messages(self) -> BetaMessages:
        return BetaMessages(self._client)


class AsyncBeta(RawResponses):
    """``client.beta`` of ``AsyncAnthropicBedrock``."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    @cached_property
    def messages(self) -> AsyncBetaMessages:
        return AsyncBetaMessages(self._client)


class MantleBeta(Beta):
    """``client.beta`` of ``AnthropicBedrockMantle``."""

    @cached_property
    def messages(self) -> MantleBetaMessages:
        return MantleBetaMessages(self._client)


class AsyncMantleBeta(AsyncBeta):
    """``client.beta`` of ``AsyncAnthropicBedrockMantle``."""

    @cached_property
    def messages(self) -> AsyncMantleBetaMessages:
        return AsyncMantleBetaMessages(self._client)
