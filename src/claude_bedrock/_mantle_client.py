"""``AnthropicBedrockMantle`` and ``AsyncAnthropicBedrockMantle``: Bedrock's Messages API on
``bedrock-mantle.{region}.api.aws``, drop-in for the official SDK's classes of that name.

The constructor is the SDK's (keyword-only; ``api_key``, the AWS keys, ``aws_region``,
``aws_profile``, ``skip_auth``, ``base_url``, ``timeout``, ``max_retries``,
``default_headers``, ``http_client``), and so are the environment variables and their order:

* base URL: ``base_url``, ``ANTHROPIC_BEDROCK_MANTLE_BASE_URL``, then
  ``https://bedrock-mantle.{region}.api.aws/anthropic``; requests go to
  ``{base_url}/v1/messages`` and ``{base_url}/v1/messages/count_tokens``;
* Region: ``aws_region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION`` (and, as our
  ``AnthropicBedrock`` does, the AWS profile's region); no Region and no base URL is refused
  before sending, as the SDK refuses it;
* authentication: ``api_key`` (``Authorization: Bearer``); the AWS keys or ``aws_profile``
  (SigV4, signing name ``bedrock-mantle``); ``AWS_BEARER_TOKEN_BEDROCK`` then
  ``ANTHROPIC_AWS_API_KEY``; the AWS credential chain. ``skip_auth=True`` sends neither
  (a gateway that authenticates for you). A key beside AWS keys is refused (the SDK would
  use the key and drop the keys without a word).

Everything else is shared with ``AnthropicBedrock``: the request core (one notion of surface:
base URL, signing name, paths, version header), the senders and their retries, the SSE
stream pipeline, the ``messages`` resource and the exception classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Self, Unpack

import httpx

from ._client import _BETA_DOC, AsyncClient, ConnectionOptions, SyncClient, _ClientBase, _Resource
from ._request_core import DEFAULT_MAX_RETRIES
from ._sdk_surface import NOT_GIVEN, NotGivenType, copy_client
from .resources.messages import AsyncMessages, Messages

if TYPE_CHECKING:
    from .resources.beta import AsyncMantleBeta, MantleBeta

__all__ = ["AnthropicBedrockMantle", "AsyncAnthropicBedrockMantle"]

_NO_BATCHES = (
    "bedrock-mantle serves no Message Batches: use AnthropicBedrock(...).messages.batches "
    "(Bedrock batch inference) instead."
)


class MantleMessages(Messages):
    """``client.messages`` of ``AnthropicBedrockMantle``: ``create``, ``stream``,
    ``count_tokens``, all on bedrock-mantle."""

    @property
    def batches(self) -> NoReturn:
        raise AttributeError(_NO_BATCHES)


class AsyncMantleMessages(AsyncMessages):
    """``client.messages`` of ``AsyncAnthropicBedrockMantle``."""

    @property
    def batches(self) -> NoReturn:
        raise AttributeError(_NO_BATCHES)


class _MantleClient(_ClientBase):
    """The constructor both Mantle classes share (the SDK's, keyword-only)."""

    def __init__(
        self,
        *,
        aws_access_key: str | None = None,
        aws_secret_key: str | None = None,
        aws_session_token: str | None = None,
        aws_region: str | None = None,
        aws_profile: str | None = None,
        api_key: str | None = None,
        skip_auth: bool = False,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        open_telemetry: Any = None,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        middleware: Sequence[Any] | None = None,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        self._args = {
            "aws_access_key": aws_access_key, "aws_secret_key": aws_secret_key,
            "aws_session_token": aws_session_token, "aws_region": aws_region,
            "aws_profile": aws_profile, "api_key": api_key, "skip_auth": skip_auth,
            "base_url": base_url, "timeout": timeout, "max_retries": max_retries,
            "default_headers": default_headers, "default_query": default_query,
            "open_telemetry": open_telemetry, "http_client": http_client,
            "middleware": middleware, **options,
        }  # fmt: skip
        self._open_telemetry = open_telemetry
        self._middleware: tuple[Any, ...] = tuple(middleware or ())
        core_options: dict[str, Any] = dict(options)
        self._start(
            http_client,
            core_options,
            aws_secret_key=aws_secret_key,
            aws_access_key=aws_access_key,
            aws_region=aws_region,
            aws_profile=aws_profile,
            aws_session_token=aws_session_token,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            default_query=default_query,
            surface="mantle",
            skip_auth=skip_auth,
        )

    @property
    def base_url(self) -> str:
        """bedrock-mantle's base URL (``.../anthropic``), as the SDK's ``base_url``."""
        return self._core.endpoints.mantle

    @property
    def skip_auth(self) -> bool:
        return self._core.api_key is None and self._core._credentials is None

    def copy(  # type: ignore[override]  # the SDK's Mantle signature: skip_auth too
        self,
        *,
        api_key: str | None = None,
        aws_access_key: str | None = None,
        aws_secret_key: str | None = None,
        aws_session_token: str | None = None,
        aws_region: str | None = None,
        aws_profile: str | None = None,
        skip_auth: bool | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None | NotGivenType = NOT_GIVEN,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        max_retries: int | NotGivenType = NOT_GIVEN,
        open_telemetry: Any = None,
        default_headers: Mapping[str, str] | None = None,
        set_default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        set_default_query: Mapping[str, object] | None = None,
        middleware: Sequence[Any] | None | NotGivenType = NOT_GIVEN,
        **options: Unpack[ConnectionOptions],
    ) -> Self:
        """A new client of the same class with this one's arguments, those given replacing
        them (the official SDK's ``copy``; rules in :mod:`._sdk_surface`)."""
        return copy_client(self, locals(), options)

    with_options = copy  # type: ignore[assignment]


class AnthropicBedrockMantle(_MantleClient, SyncClient):
    """Synchronous client for Bedrock's Messages API on bedrock-mantle (drop-in for the
    Anthropic SDK's ``AnthropicBedrockMantle``)."""

    messages: _Resource[MantleMessages] = _Resource("._mantle_client", "MantleMessages")
    beta: _Resource[MantleBeta] = _Resource(".resources.beta", "MantleBeta", _BETA_DOC)


class AsyncAnthropicBedrockMantle(_MantleClient, AsyncClient):
    """asyncio client for Bedrock's Messages API on bedrock-mantle (drop-in for the
    Anthropic SDK's ``AsyncAnthropicBedrockMantle``)."""

    messages: _Resource[AsyncMantleMessages] = _Resource("._mantle_client", "AsyncMantleMessages")
    beta: _Resource[AsyncMantleBeta] = _Resource(".resources.beta", "AsyncMantleBeta", _BETA_DOC)
