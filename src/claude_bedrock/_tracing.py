"""OpenTelemetry spans of ``messages`` calls: the official SDK's ``open_telemetry=`` option.

Optional: with ``opentelemetry-api`` installed (``pip install claude-bedrock[otel]``) and a
tracer provider set (the global one, or ``open_telemetry={"tracer_provider": ...}``), each
``messages.create`` (also ``stream=True``, ``parse``, ``api="converse"``...),
``messages.stream`` and ``messages.count_tokens`` call gets one ``CLIENT`` span, named and
attributed as the official SDK 2.16 does (``anthropic/_tracing.py``,
``anthropic/lib/_tracing/``) and the OpenTelemetry GenAI conventions say:
``anthropic.messages.create`` with ``gen_ai.provider.name = "aws.bedrock"``,
``gen_ai.operation.name = "chat"``, the request's model (as written) and limits, the
answer's id, model, token usage and stop reason, ``error.type`` on failure; plus ours
(``claude_bedrock.*``): the surface, the resolved model ID and the call's cost.

A span starts when the call is sent and ends when its answer is parsed, or, for a stream,
when the stream is read to its end (status ``OK``), fails (``ERROR``), or is closed or
dropped first (status unset): the SDK's rules. The span is current while the request is
sent, and (``propagation``, on by default) its trace context goes in the request headers.

Costs nothing when unused: a client resolves its option and imports OpenTelemetry once, at
its first call; ``open_telemetry=False``, ``traces=False``, a missing ``opentelemetry-api``
or no tracer provider set leave each call with one dictionary lookup and one check.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

    from .resources._params import PreparedCall

__all__ = ["SCOPE", "count", "opened_stream", "resolve", "send", "tracer"]

log = logging.getLogger(__name__)

#: The instrumentation scope of our spans (the SDK's is ``com.anthropic.sdk.python.bedrock``).
SCOPE = "claude_bedrock"
PROVIDER = "aws.bedrock"
DEFAULT_MAX_CONTENT_BYTES = 750_000
_KEY = "_otel_tracer"  # where a client keeps its resolved tracing (its __dict__)
#: ``call.surface`` -> ``claude_bedrock.surface`` (``api=``'s words, and ``mantle``).
# --------------------------------------------------------------------------- the option


def resolve(option: Any) -> dict[str, Any]:
    """The option with every field, as the SDK's ``client.open_telemetry`` reads it back:
    ``None`` takes the SDK's ``ANTHROPIC_OPEN_TELEMETRY*`` environment variables, ``False``
    is ``{"traces": False}``, a ``traces`` of ``True``/``False`` is ``{"enabled": ...}``."""
    if option is None:
        env = os.environ.get
        traces: dict[str, Any] = {}
        if env("ANTHROPIC_OPEN_TELEMETRY", "").lower() == "false":
            traces["enabled"] = False
        if env("ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE", "").lower() == "content":
            traces["content_mode"] = "content"
        digits = env("ANTHROPIC_OPEN_TELEMETRY_TRACES_MAX_CONTENT_BYTES", "").strip()
        if digits.isascii() and digits.isdigit() and int(digits) >= 1:
            traces["max_content_bytes"] = int(digits)
        option = {"traces": traces}
        if env("ANTHROPIC_OPEN_TELEMETRY_PROPAGATION", "").lower() == "false":
            option["propagation"] = False
    elif option is False:
        option = {"traces": False}
    given = option.get("traces")
    traces = {"enabled": given} if isinstance(given, bool) else dict(given or {})
    size = traces.get("max_content_bytes")
    resolved: dict[str, Any] = {
        "propagation": option.get("propagation") is not False,
        "traces": {
            "enabled": traces.get("enabled") is not False,
            "content_mode": traces.get("content_mode") or "metadata_only",
            "max_content_bytes": size if isinstance(size, int) and size >= 1
            else DEFAULT_MAX_CONTENT_BYTES,
        },
    }  # fmt: skip
    for name in ("tracer_provider", "conversation_id"):
        if option.get(name) is not None:
            resolved[name] = option[name]
    return resolved


@lru_cache(maxsize=1)
def _trace_api() -> Any:
    """``opentelemetry.trace``, or ``None`` when ``opentelemetry-api`` is not installed."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace


class Tracing:
    """A client's resolved option and its tracer (built once, at its first call)."""

    __slots__ = (
        "_live", "api", "attributes", "content", "limit", "propagation", "provider", "tracer",
    )  # fmt: skip

    def __init__(self, api: Any, options: dict[str, Any]) -> None:
        self.api = api
        self.provider = options.get("tracer_provider")
        self._live = self.provider is not None
        if "OTEL_PYTHON_TRACER_PROVIDER" in os.environ:
            api.get_tracer_provider()  # loads the provider it names, once
        source = self.provider or api
        self.tracer: Tracer = source.get_tracer(SCOPE, __version__)
        self.propagation: bool = options["propagation"]
        self.content = options["traces"]["content_mode"] == "content"
        self.limit: int = options["traces"]["max_content_bytes"]
        self.attributes: dict[str, Any] = {"gen_ai.provider.name": PROVIDER}
        if "conversation_id" in options:
            self.attributes["gen_ai.conversation.id"] = options["conversation_id"]

    def live(self) -> bool:
        """Whether spans would record: a provider given, or a real one set globally. The
        API's default (a proxy of nothing) records nothing and is not worth a span; until
        one is set this is one module attribute read (``get_tracer_provider()`` reads the
        environment on every call), and once one is, it stays (OpenTelemetry sets it once)."""
        if self._live:
            return True
        if getattr(self.api, "_TRACER_PROVIDER", True) is None:
            return False
        provider = self.api.get_tracer_provider()
        idle = self.api.ProxyTracerProvider | self.api.NoOpTracerProvider
        self._live = not isinstance(provider, idle)
        return self._live


def tracer(client: Any) -> Tracing | None:
    """The client's tracing, or ``None`` (disabled, no ``opentelemetry-api``, no provider)."""
    tracing: Tracing | None
    try:
        tracing = client.__dict__[_KEY]
    except KeyError:
        tracing = None
        options = resolve(getattr(client, "_open_telemetry", None))
        api = _trace_api() if options["traces"]["enabled"] else None
        if api is not None:
            try:
                tracing = Tracing(api, options)
            except Exception:
                log.debug("could not get an OpenTelemetry tracer", exc_info=True)
        client.__dict__[_KEY] = tracing
    if tracing is None or not tracing.live():
        return None
    return tracing


def _run(tracing: Tracing, span: Span, sent: Callable[[], Any],
         finish: Callable[[Any], Any], sync: bool) -> Any:  # fmt: skip
    """Send with ``span`` current; ``finish`` records the result and ends the span (a
    stream's, later); an error ends it at once."""
    if not sync:
        return _arun(tracing, span, sent, finish)
    try:
        with tracing.api.use_span(span, end_on_exit=False, record_exception=False,
                                  set_status_on_exception=False):  # fmt: skip
            result = sent()
    except BaseException as error:
        _failed(span, error)
        raise
    return finish(result)


async def _arun(tracing: Tracing, span: Span, sent: Callable[[], Awaitable[Any]],
                finish: Callable[[Any], Any]) -> Any:  # fmt: skip
    try:
        with tracing.api.use_span(span, end_on_exit=False, record_exception=False,
                                  set_status_on_exception=False):  # fmt: skip
            result = await sent()
    except BaseException as error:
        _failed(span, error)
        raise
    return finish(result)


def _failed(span: Span, error: BaseException) -> None:
    from ._tracing_spans import record_error

    record_error(span, error)
    span.end()


def send(tracing: Tracing, client: Any, call: PreparedCall, stream: bool,
         sent: Callable[[], Any], *, sync: bool) -> Any:  # fmt: skip
    """``messages.create`` in a span (``sent`` sends it; a coroutine for the async client)."""
    from . import _tracing_spans as spans

    span = spans.start(tracing, client, call, spans.chat_attributes(call, stream))
    return _run(tracing, span, sent, partial(spans.finish, span, tracing, call), sync)


def opened_stream(client: Any, call: PreparedCall, opened: Callable[[bool], Any], *,
                  sync: bool) -> Any:  # fmt: skip
    """``messages.stream(...)``'s ``with``: the raw stream, in a span if the client has one."""
    tracing = tracer(client)
    if tracing is None:
        return opened(sync)
    return send(tracing, client, call, True, partial(opened, sync), sync=sync)


def count(client: Any, model: str, counted: Callable[[], Any], *, sync: bool) -> Any:
    """``messages.count_tokens`` in the SDK's ``anthropic.messages.count_tokens`` span."""
    tracing = tracer(client)
    if tracing is None:
        return counted()
    from . import _tracing_spans as spans

    span = spans.start_count(tracing, client, model)
    return _run(tracing, span, counted, partial(spans.finish_count, span), sync)
