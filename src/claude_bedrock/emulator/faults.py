"""Fault injection: make the emulator fail the way Bedrock and networks fail.

Off unless the emulator is started with faults enabled (``Emulator(faults=...)``,
``claude-bedrock serve --faults ...``): without that, the header below is ignored, so a
client can never make a normal emulator misbehave. Two ways to ask for a fault:

* per request, the header ``x-emulator-fault: FAULT`` (any authenticated route), or
  ``FAULT*N`` to fail only the first ``N`` requests that send it with the same
  ``x-emulator-fault-key`` (so a retried call fails ``N`` times, then succeeds);
* globally, ``faults="rate=0.05,seed=7"``: each runtime call (InvokeModel, Converse, their
  streaming forms, CountTokens) draws a fault with that probability from a seeded RNG, so a
  run is reproducible. ``kinds=throttle|503|reset-mid-stream`` narrows the draw (default:
  every fault below, with short delays); ``faults="on"`` enables the header alone.

``FAULT`` is one of (``S`` seconds, ``N`` event-stream frames sent before the fault)::

    throttle                  429 ThrottlingException, no Retry-After
    throttle-retry-after=S    429 ThrottlingException with Retry-After: S
    503 | 500 | 408           ServiceUnavailable / InternalServer / ModelTimeoutException
    reset-before              TCP reset instead of any response
    slow-first-byte=S         the response starts S seconds late
    reset-mid-stream@N        TCP reset after N frames of a stream
    exception-frame=NAME@N    an ``:exception-type`` frame (e.g. throttlingException) after N
    stall-stream=S@N          N frames, then S seconds of silence, then a reset

``GET /_emulator/faults`` reports what was injected (``injected``, ``by_kind``), so a load
test can print how many faults its client went through; ``?key=K`` adds how many requests
arrived with ``x-emulator-fault-key: K`` (how many attempts one call made).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Final, NoReturn

from .app import EmulatorApp
from .errors import (
    STREAM_EXCEPTION_TYPES,
    STREAM_THROTTLING,
    BedrockError,
    injected_exception_frame,
    validation_error,
)
from .http_types import AbortConnection, AnyResponse, Request, Response, StreamingResponse
from .routing import Handler

__all__ = [
    "FAULT_HEADER",
    "FAULT_KEY_HEADER",
    "Fault",
    "FaultConfig",
    "parse_config",
    "parse_fault",
    "register",
]

FAULT_HEADER: Final = "x-emulator-fault"
FAULT_KEY_HEADER: Final = "x-emulator-fault-key"
#: Operations the global rate applies to (the header works on every authenticated route).
RUNTIME_OPERATIONS: Final = frozenset(
    {"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream", "CountTokens",
     "CreateMessage", "CountMessageTokens"}  # the last two: the Messages API routes
)  # fmt: skip
_STREAMING: Final = frozenset({"InvokeModelWithResponseStream", "ConverseStream"})
_STATUS: Final[dict[str, tuple[str, str]]] = {
    "throttle": ("ThrottlingException", "Too many requests, please wait before trying again."),
    "503": ("ServiceUnavailableException", "The service is temporarily unavailable."),
    "500": ("InternalServerException", "The server encountered an internal error."),
    "408": ("ModelTimeoutException", "The model took too long to respond."),
}
#: An injected frame's message where Bedrock's own is known (the others name their type and
#: say they are injected; every injected frame also carries ``INJECTED_HEADER``).
_FRAME_MESSAGES: Final = {"ThrottlingException": STREAM_THROTTLING}
_STREAM_KINDS: Final = frozenset({"reset-mid-stream", "exception-frame", "stall-stream"})
_KINDS: Final = frozenset(
    {*_STATUS, "throttle-retry-after", "reset-before", "slow-first-byte", *_STREAM_KINDS}
)
#: What ``rate=`` draws from by default: every kind, with delays short enough for tests.
DEFAULT_MIX: Final = (
    "throttle", "throttle-retry-after=1", "503", "500", "408", "reset-before",
    "slow-first-byte=0.2", "reset-mid-stream", "exception-frame", "stall-stream=5",
)  # fmt: skip
_DEFAULT_AFTER: Final = 3
_DEFAULT_STALL: Final = 30.0
_MAX_SECONDS: Final = 3600.0


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: its kind, a number of seconds or an exception name, and frames before it."""

    kind: str
    seconds: float = 0.0
    exception: str = "throttlingException"
    after: int = _DEFAULT_AFTER

    @property
    def streaming_only(self) -> bool:
        return self.kind in _STREAM_KINDS


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Parsed ``faults=`` setting: the global rate, its seed and the kinds it draws from."""

    rate: float = 0.0
    seed: int | None = None
    kinds: tuple[Fault, ...] = field(default_factory=lambda: tuple(map(parse_fault, DEFAULT_MIX)))


def parse_fault(text: str) -> Fault:
    """``KIND[=VALUE][@N]`` -> :class:`Fault`; ``ValueError`` says what is wrong."""
    spec, _, after_text = text.strip().partition("@")
    kind, _, value = spec.partition("=")
    kind = kind.strip().lower()
    if kind not in _KINDS:
        raise ValueError(f"unknown fault {kind!r} (known: {', '.join(sorted(_KINDS))})")
    fault = Fault(kind)
    if after_text:
        if not after_text.isdigit() or kind not in _STREAM_KINDS:
            raise ValueError(f"'@N' takes a frame count and applies to stream faults: {text!r}")
        fault = replace(fault, after=int(after_text))
    if kind == "exception-frame":
        name = value.strip() or fault.exception
        name = STREAM_EXCEPTION_TYPES.get(name, name)
        if name not in STREAM_EXCEPTION_TYPES.values():
            raise ValueError(f"unknown stream exception {name!r}")
        return replace(fault, exception=name)
    if kind in ("throttle-retry-after", "slow-first-byte", "stall-stream"):
        default = _DEFAULT_STALL if kind == "stall-stream" else None
        return replace(fault, seconds=_seconds(value, default, text))
    if value:
        raise ValueError(f"fault {kind!r} takes no value: {text!r}")
    return fault


def _seconds(value: str, default: float | None, text: str) -> float:
    if not value and default is not None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"expected a number of seconds in {text!r}") from None
    if not 0 <= seconds <= _MAX_SECONDS:
        raise ValueError(f"seconds out of range (0..{_MAX_SECONDS:g}) in {text!r}")
    return seconds


def parse_config(text: str) -> FaultConfig:
    """``"on"`` or ``"rate=R[,seed=S][,kinds=K1|K2...]"`` -> :class:`FaultConfig`."""
    text = text.strip()
    if text.lower() in ("on", "header", "true", "1"):
        return FaultConfig()
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or name not in ("rate", "seed", "kinds"):
            raise ValueError(f"faults: expected rate=, seed= or kinds=, got {part!r}")
        values[name] = value
    try:
        rate = float(values.get("rate", "0"))
        seed = int(values["seed"]) if "seed" in values else None
    except ValueError:
        raise ValueError(f"faults: rate must be a number and seed an integer: {text!r}") from None
    if not 0 <= rate <= 1:
        raise ValueError(f"faults: rate must be between 0 and 1, got {rate}")
    if "kinds" not in values:
        return FaultConfig(rate=rate, seed=seed)
    names = values["kinds"].replace("+", "|").split("|")
    kinds = tuple(parse_fault(name) for name in names if name.strip())
    if not kinds:
        raise ValueError("faults: kinds= names no fault")
    return FaultConfig(rate=rate, seed=seed, kinds=kinds)


def register(app: EmulatorApp) -> None:
    """Install fault injection if the emulator was started with faults enabled."""
    spec = getattr(app.config, "faults", None)
    if not spec:
        return
    injector = _Injector(parse_config(spec))
    app.state["faults"] = injector
    app.add_route("GET", "/_emulator/faults", injector.report, auth=False)
    app.add_middleware(injector.middleware)


class _Injector:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.injected: Counter[str] = Counter()
        self.seen: Counter[tuple[str, str]] = Counter()  # (key, header) -> requests so far
        self.keys: Counter[str] = Counter()  # key -> requests that carried it
        self.requests = 0

    async def report(self, request: Request) -> Response:
        report: dict[str, object] = {
            "enabled": True, "rate": self.config.rate, "seed": self.config.seed,
            "requests": self.requests, "injected": sum(self.injected.values()),
            "by_kind": dict(sorted(self.injected.items())),
        }  # fmt: skip
        key = request.query_value("key")
        if key is not None:
            report["key"] = {"name": key, "requests": self.keys[key]}
        return Response.json(report)

    async def middleware(self, request: Request, call_next: Handler) -> AnyResponse:
        if request.raw_path.startswith("/_emulator/"):
            return await call_next(request)
        fault = self._choose(request)
        if fault is None:
            return await call_next(request)
        streaming = request.operation in _STREAMING
        if fault.streaming_only and not streaming:
            raise validation_error(f"{FAULT_HEADER}: {fault.kind} applies to streaming calls only.")
        if fault.kind == "slow-first-byte":
            self.injected[fault.kind] += 1
            await asyncio.sleep(fault.seconds)
            return await call_next(request)
        if not fault.streaming_only:
            self.injected[fault.kind] += 1
            _fail_now(fault)
        response = await call_next(request)
        if isinstance(response, StreamingResponse) and response.status < 300:
            response.body = self._faulty(response.body, fault)
        return response

    def _choose(self, request: Request) -> Fault | None:
        key = request.headers.get(FAULT_KEY_HEADER) or ""
        if key:
            if len(self.keys) > 100_000:  # keys are per test call: forget old ones
                self.keys.clear()
            self.keys[key] += 1
        header = request.headers.get(FAULT_HEADER)
        if header is not None:
            return self._from_header(header, key)
        if not self.config.rate or request.operation not in RUNTIME_OPERATIONS:
            return None
        self.requests += 1
        if self.rng.random() >= self.config.rate:
            return None
        streaming = request.operation in _STREAMING
        kinds = [k for k in self.config.kinds if streaming or not k.streaming_only]
        if not kinds:
            return None
        fault = self.rng.choice(kinds)
        if fault.streaming_only:  # anywhere from before the first event to mid-answer
            fault = replace(fault, after=self.rng.randrange(0, 2 * _DEFAULT_AFTER))
        return fault

    def _from_header(self, header: str, key: str) -> Fault | None:
        spec, star, times = header.rpartition("*") if "*" in header else (header, "", "")
        try:
            if star and not times.strip().isdigit():
                raise ValueError(f"expected FAULT*N with N an integer, got {header!r}")
            fault = parse_fault(spec)
        except ValueError as exc:
            raise validation_error(f"{FAULT_HEADER}: {exc}.") from None
        if star:
            if len(self.seen) > 100_000:  # keys are per test call: forget old ones
                self.seen.clear()
            self.seen[key, header] += 1
            if self.seen[key, header] > int(times):
                return None
        return fault

    async def _faulty(self, frames: AsyncIterator[bytes], fault: Fault) -> AsyncIterator[bytes]:
        sent = 0
        try:
            async for frame in frames:
                if sent == fault.after:
                    self.injected[fault.kind] += 1
                    async for last in _stream_fault(fault):
                        yield last
                    return
                yield frame
                sent += 1
        finally:
            aclose = getattr(frames, "aclose", None)
            if aclose is not None:
                await aclose()


def _fail_now(fault: Fault) -> NoReturn:
    """The faults that replace the whole response."""
    if fault.kind == "reset-before":
        raise AbortConnection(reset=True)
    if fault.kind == "throttle-retry-after":
        error_type, message = _STATUS["throttle"]
        headers = [("Retry-After", f"{fault.seconds:g}")]
        raise BedrockError(error_type, message, headers=headers)
    error_type, message = _STATUS[fault.kind]
    raise BedrockError(error_type, message)


async def _stream_fault(fault: Fault) -> AsyncIterator[bytes]:
    """What replaces the rest of a stream: an exception frame, a reset, or silence."""
    if fault.kind == "exception-frame":
        error_type = next(k for k, v in STREAM_EXCEPTION_TYPES.items() if v == fault.exception)
        message = _FRAME_MESSAGES.get(error_type, f"{error_type} (injected by the emulator).")
        yield injected_exception_frame(fault.exception, message)
        return
    if fault.kind == "stall-stream":
        await asyncio.sleep(fault.seconds)
    raise AbortConnection(reset=True)
