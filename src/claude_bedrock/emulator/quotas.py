"""Bedrock's on-demand quotas in the emulator (``serve --quotas``, ``Emulator(quotas=...)``).

Off unless asked for: without the setting nothing here is installed. With it, every
InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream and Messages API create
call is admitted or refused as Bedrock's quotas would (AWS's "Quotas for the
bedrock-runtime endpoint", "Quotas for the bedrock-mantle endpoint", "How tokens are
counted", "Scaling and throughput best practices"; figures in :mod:`.quotas_data`):

* ``bedrock-runtime`` (the native APIs and the Messages API served there share one quota
  per model, as AWS says): one token bucket per model, Region and scope (on-demand base ID,
  cross-Region profile, ``global.`` profile) of *tokens per minute*, input + output. A
  request is admitted if the bucket holds its input tokens (cache reads and writes
  included) plus ``max_tokens``; once answered, the reservation is reconciled to input +
  cache writes + output x the model's *burndown* rate (5 for Claude 4: one output token
  burns five), giving back or charging the difference. A model row may add requests per
  minute (AWS no longer enforces RPM on either endpoint; the benchmark sets one).
  *Tokens per day* ("Model invocation max tokens per day", per model and Region): one more
  bucket per model and Region, shared by its scopes, holding a quota day of 1440 windows
  (so ``window=S`` and the manual clock scale it too), charged like the minute's bucket;
  checked first, refused with "Too many tokens per day, please wait before trying again."
  (the words users quote from Bedrock; sources and confidence in ``quotas.json``).
* ``bedrock-mantle`` (its Messages API): separate input and output buckets. Admission needs
  input + ``max_tokens`` in the input bucket (AWS's step 1) and an output bucket not in
  debt; the answer's output is then charged to the output bucket and the unused
  ``max_tokens`` returned to the input one (cache reads do not count: AWS).
* CountTokens and the Messages ``count_tokens`` route are never counted: AWS's "Count
  tokens" page says "Using the CountTokens API doesn't incur charges" and names no quota
  for it (whether it draws on one is not documented: the emulator's reading).

Refusals: 429 ``ThrottlingException`` "Too many tokens, please wait before trying again."
(or "Too many requests, ..." for an RPM bucket, "Too many tokens per day, ..." for the
day's), Bedrock's wording and body; on the
Messages API the same message in Anthropic's ``rate_limit_error`` envelope. No
``Retry-After``: Bedrock sends none on 429 (a Bedrock adapter's test of the runtime and its
Messages API, epam/ai-dial-adapter-bedrock#371); ``retry_after=S`` adds one to test a
client that honours it. Capacity errors on demand (``capacity=P`` seeded, or
``capacity_every=N``): 503 ``ServiceUnavailableException`` "Bedrock is unable to process
your request." on the native APIs, 529 ``overloaded_error`` "Overloaded" on the Messages
API. Admission is checked when the request has passed validation, right before the engine
runs (an invalid request gets its 400, not a 429: Bedrock's order here is not published).

Not emulated: a stream cut by a ``throttlingException`` frame because its output overran
the quota. Bedrock can send that frame (botocore's ``ResponseStream`` and
``ConverseStreamOutput`` model it; users quote it from InvokeModelWithResponseStream), but
no source says it does so under quota pressure once a stream has begun: a test that needs it
asks the fault injector (``x-emulator-fault: exception-frame=throttlingException@N``, on an
emulator started with faults; tests/emulator/test_quotas_streams.py). A stream is admitted
and charged whole before its first frame (a stream cut by a fault is charged in full too).

Where: the middleware here marks a governed request (:data:`.quotas_engine.TICKET`) and
counts its outcome; the admission itself happens in :class:`.quotas_engine.GovernedEngine`,
which wraps the configured engine, so no route needed changing.

Time: buckets read the emulator's clock (``clock=manual`` makes it a :class:`ManualClock`
that ``POST /_emulator/clock`` advances); ``window=S`` scales the quota minute down.

``GET /_emulator/stats`` (loopback, no auth) reports what was received, admitted,
throttled or overloaded, in total, per model ID as sent, and per request key (the
``x-emulator-request-key`` header, else a hash of the body): ``?key=K`` for one,
``?keys=all`` for every key (``throttled_per_day`` counts the throttles the day's quota
answered); with each bucket's ``limit``, ``available`` (its level now)
and ``ceiling`` (the full bucket plus every refill since it was created or reset: the most
any client could have had, which ``quota_tokens`` divided by gives the share of the
theoretical maximum a run reached), the daily buckets under ``days`` (one per model and
Region, not per scope). ``POST /_emulator/quotas/reset`` refills every bucket
and zeroes the counters.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .app import EmulatorApp
from .errors import BedrockError
from .http_types import AnyResponse, Request
from .messages_surface import SURFACE_KEY, parsed_body
from .quotas_admin import add_admin_routes
from .quotas_bucket import Clock, ManualClock, SystemClock, TokenBucket
from .quotas_data import QuotaSettings, RuntimeRow, parse_spec
from .quotas_engine import TICKET as _TICKET
from .quotas_engine import GovernedEngine
from .routing import Handler
from .tokens import count_input_tokens

__all__ = ["GOVERNED_OPERATIONS", "REQUEST_KEY_HEADER", "QuotaGovernor", "register"]

REQUEST_KEY_HEADER: Final = "x-emulator-request-key"
#: The operations quotas apply to (CountTokens and count_tokens are free).
GOVERNED_OPERATIONS: Final = frozenset(
    {"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream",
     "CreateMessage"}
)  # fmt: skip
TOO_MANY_TOKENS: Final = "Too many tokens, please wait before trying again."
TOO_MANY_REQUESTS: Final = "Too many requests, please wait before trying again."
UNAVAILABLE: Final = "Bedrock is unable to process your request."
OVERLOADED: Final = "Overloaded"
_MAX_KEYS: Final = 1_000_000
_OUTCOMES: Final = ("received", "admitted", "throttled", "overloaded", "rejected")
#: Tokens of admitted requests: as answered, and as burned from the quota (output x burndown
#: on the runtime), the figure a benchmark divides by the quota for its share of the maximum.
_TOKEN_COUNTS: Final = ("input_tokens", "output_tokens", "quota_tokens")
_COUNTED: Final = (*_OUTCOMES, *_TOKEN_COUNTS, "throttled_per_day")
#: Buckets charged with the request's tokens (the others: "rpm", one per request; "output").
_TOKEN_BUCKETS: Final = frozenset({"tpm", "input", "tpd"})


def register(app: EmulatorApp) -> None:
    """Install quotas if the emulator was started with them (``config.quotas``)."""
    spec = getattr(app.config, "quotas", None)
    if not spec:
        return
    governor = QuotaGovernor(parse_spec(spec), region=app.config.region)
    app.state["quotas"] = governor
    engine = app.config.engine  # a restarted Emulator's config still holds the last wrapper
    inner = engine.inner if isinstance(engine, GovernedEngine) else engine
    app.config.engine = GovernedEngine(inner, governor)
    app.add_middleware(governor.middleware)
    add_admin_routes(app, governor)


@dataclass(slots=True)
class Ticket:
    """One governed request on its way: who it is for, and what became of it."""

    operation: str
    model_id: str
    key: str
    region: str
    endpoint: str  # "runtime" | "mantle"
    scope: str  # on-demand | cross-region | global | mantle
    messages: bool  # answered in Anthropic's envelope
    outcome: str = "rejected"
    tokens: tuple[int, int, int] = (0, 0, 0)  # input, output, quota-burned (once settled)
    per_day: bool = False  # throttled by the day's quota


@dataclass(slots=True)
class _Reservation:
    buckets: dict[str, TokenBucket]
    reserved: float
    burndown: float


@dataclass(slots=True)
class _Counts:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTED, 0))

    def add(self, ticket: Ticket) -> None:
        counts = self.counts
        counts["received"] += 1
        counts[ticket.outcome] += 1
        counts["throttled_per_day"] += ticket.per_day
        if ticket.outcome == "admitted":
            for name, amount in zip(_TOKEN_COUNTS, ticket.tokens, strict=True):
                counts[name] += amount

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


class QuotaGovernor:
    """The buckets, the admission rules and the counters of one emulator."""

    def __init__(
        self, settings: QuotaSettings, clock: Clock | None = None, *, region: str = "us-east-1"
    ) -> None:
        self.settings = settings
        self.region = region
        self.clock: Clock = clock or (
            ManualClock() if settings.clock == "manual" else SystemClock()
        )
        self.rng = random.Random(settings.seed)
        #: (endpoint, Region, model, scope) -> its buckets by name, and its output burndown.
        self.buckets: dict[tuple[str, str, str, str], tuple[dict[str, TokenBucket], float]] = {}
        #: (Region, model) -> its tokens-per-day bucket, also in each of its scopes' buckets.
        self.days: dict[tuple[str, str], TokenBucket] = {}
        self.totals = _Counts()
        self.by_model: dict[str, _Counts] = {}
        self.by_key: dict[str, _Counts] = {}
        self.governed = 0

    # -- admission -----------------------------------------------------------------------------

    def admit(self, ticket: Ticket, body: Mapping[str, Any], model: str) -> _Reservation:
        """Reserve ``body``'s tokens for ``model`` (an Anthropic name), or raise Bedrock's
        429 (quota) or 503 / 529 (capacity) for ``ticket``'s surface."""
        self.governed += 1
        if self._capacity_error():
            ticket.outcome = "overloaded"
            raise self._error(ticket, capacity=True)
        cost = count_input_tokens(body) + int(body.get("max_tokens") or 0)
        buckets, burndown = self._buckets_for(ticket, model)
        refusal = self._refusal(ticket, buckets, cost)
        if refusal is not None:
            ticket.outcome = "throttled"
            ticket.per_day = refusal is self.settings.table.day_message
            raise self._error(ticket, message=refusal)
        for name, bucket in buckets.items():
            if name in _TOKEN_BUCKETS:
                bucket.take(cost)
            elif name == "rpm":
                bucket.take(1)
        return _Reservation(buckets, cost, burndown)

    def _capacity_error(self) -> bool:
        every = self.settings.capacity_every
        if every and self.governed % every == 0:
            return True
        return bool(self.settings.capacity) and self.rng.random() < self.settings.capacity

    def _refusal(self, ticket: Ticket, buckets: dict[str, TokenBucket], cost: float) -> str | None:
        rpm = buckets.get("rpm")
        if rpm is not None and not rpm.can_take(1):
            return TOO_MANY_REQUESTS
        day = buckets.get("tpd")
        if day is not None and not day.can_take(cost):
            return self.settings.table.day_message
        tokens = buckets.get("tpm") or buckets.get("input")
        if tokens is not None and not tokens.can_take(cost):
            return TOO_MANY_TOKENS
        output = buckets.get("output")
        if output is not None and output.available() <= 0:
            return TOO_MANY_TOKENS
        return None

    def settle(self, reservation: _Reservation, usage: Mapping[str, Any], ticket: Ticket) -> None:
        """Reconcile the reservation with the answer's ``usage`` (Anthropic's fields)."""
        input_tokens = int(usage.get("input_tokens") or 0)
        written = int(usage.get("cache_creation_input_tokens") or 0)
        output = int(usage.get("output_tokens") or 0)
        buckets = reservation.buckets
        used = input_tokens + written + output * reservation.burndown
        for name in ("tpm", "tpd"):
            if name in buckets:
                buckets[name].adjust(reservation.reserved - used)
        if "input" in buckets:
            buckets["input"].adjust(reservation.reserved - (input_tokens + written))
        if "output" in buckets:
            buckets["output"].adjust(-output)
        ticket.outcome = "admitted"
        ticket.tokens = (input_tokens + written, output, round(used))

    def cancel(self, reservation: _Reservation) -> None:
        """Give the whole reservation back (the engine failed: nothing was served)."""
        for name, bucket in reservation.buckets.items():
            if name == "rpm":
                bucket.adjust(1)
            elif name in _TOKEN_BUCKETS:
                bucket.adjust(reservation.reserved)

    def _buckets_for(self, ticket: Ticket, model: str) -> tuple[dict[str, TokenBucket], float]:
        key = (ticket.endpoint, ticket.region, model, ticket.scope)
        found = self.buckets.get(key)
        if found is not None:
            return found
        burndown = 1.0
        limits: dict[str, float | None]
        day: TokenBucket | None = None
        over = self.settings.overrides
        if ticket.endpoint == "mantle":
            row = self.settings.table.mantle_row(model)
            limits = {
                "input": over.get("input_tpm", row.input_tpm if row else None),
                "output": over.get("output_tpm", row.output_tpm if row else None),
            }
        else:
            runtime = self.settings.table.runtime_row(model)
            burndown = over.get("burndown", runtime.burndown if runtime else 1.0)
            limits = {
                "tpm": over.get("tpm", runtime.tpm.get(ticket.scope) if runtime else None),
                "rpm": over.get("rpm", runtime.rpm if runtime else None),
            }
            day = self._day(ticket.region, model, runtime)
        window = self.settings.window
        buckets = {
            name: TokenBucket(limit, window, self.clock)
            for name, limit in limits.items()
            if limit is not None
        }
        if day is not None:
            buckets["tpd"] = day
        self.buckets[key] = (buckets, burndown)
        return buckets, burndown

    def _day(self, region: str, model: str, row: RuntimeRow | None) -> TokenBucket | None:
        """The tokens-per-day bucket of ``model`` in ``region`` (every scope shares it):
        the ``tpd`` option, else the row's ``tpd``, else its largest per-minute figure x
        the day's windows (AWS's default); None without any figure."""
        found = self.days.get((region, model))
        if found is not None:
            return found
        over = self.settings.overrides
        table = self.settings.table
        limit = over.get("tpd", row.tpd if row else None)
        if limit is None:
            minutes = [over["tpm"]] if "tpm" in over else list(row.tpm.values()) if row else []
            minute = max(filter(None, minutes), default=None)
            if minute is None:
                return None
            limit = minute * table.day_windows
        day = self.days[(region, model)] = TokenBucket(
            limit, self.settings.window * table.day_windows, self.clock
        )
        return day

    def _error(self, ticket: Ticket, message: str = "", *, capacity: bool = False) -> BedrockError:
        after = self.settings.retry_after
        headers = [("Retry-After", f"{after:g}")] if after is not None else []
        if not capacity:
            return BedrockError("ThrottlingException", message, headers=headers)
        if ticket.messages:
            return BedrockError("ServiceUnavailableException", OVERLOADED, status=529,
                                headers=headers)  # fmt: skip
        return BedrockError("ServiceUnavailableException", UNAVAILABLE, headers=headers)

    # -- the request's side --------------------------------------------------------------------

    async def middleware(self, request: Request, call_next: Handler) -> AnyResponse:
        if request.operation not in GOVERNED_OPERATIONS:
            return await call_next(request)
        ticket = self._ticket(request)
        token = _TICKET.set(ticket)
        try:
            return await call_next(request)
        finally:
            _TICKET.reset(token)
            self._record(ticket)

    def _ticket(self, request: Request) -> Ticket:
        operation = request.operation or ""
        messages = operation == "CreateMessage"
        if messages:
            body = parsed_body(request)
            model = body.get("model") if isinstance(body, dict) else None
            model_id = model if isinstance(model, str) else "?"
        else:
            model_id = request.path_params.get("modelId", "?")
        mantle = messages and request.extras.get(SURFACE_KEY) == "mantle"
        key = request.headers.get(REQUEST_KEY_HEADER) or (
            "sha256:" + hashlib.sha256(request.body).hexdigest()[:16]
        )
        region = request.identity.region if request.identity else self.region
        return Ticket(
            operation=operation,
            model_id=model_id,
            key=key,
            region=region,
            endpoint="mantle" if mantle else "runtime",
            scope="mantle" if mantle else scope_of(model_id),
            messages=messages,
        )

    def _record(self, ticket: Ticket) -> None:
        """Count a finished request in the totals, under its model and under its key."""
        self.totals.add(ticket)
        by_model = self.by_model.get(ticket.model_id)
        if by_model is None:
            by_model = self.by_model[ticket.model_id] = _Counts()
        by_model.add(ticket)
        by_key = self.by_key.get(ticket.key)
        if by_key is None:
            if len(self.by_key) >= _MAX_KEYS:  # a bound on memory, far above any benchmark
                return
            by_key = self.by_key[ticket.key] = _Counts()
        by_key.add(ticket)

    # -- introspection ---------------------------------------------------------------------------

    def counts_of(self, key: str) -> dict[str, int]:
        """What was counted under request key ``key`` (zeros if nothing)."""
        return (self.by_key.get(key) or _Counts()).as_dict()

    def reset(self) -> None:
        """Every bucket full again, every counter at zero (between benchmark runs)."""
        for buckets, _burndown in self.buckets.values():
            for bucket in buckets.values():
                bucket.reset()
        self.totals = _Counts()
        self.by_model.clear()
        self.by_key.clear()


def scope_of(model_id: str) -> str:
    """The runtime quota a model ID counts against: ``global`` (a ``global.`` profile),
    ``cross-region`` (a geographic or application inference profile) or ``on-demand``."""
    name = model_id.rpartition("/")[2] if model_id.startswith("arn:") else model_id
    if ":application-inference-profile/" in model_id:
        return "cross-region"
    first, dot, _rest = name.partition(".")
    if first == "global":
        return "global"
    if ":foundation-model/" in model_id or not dot or first == "anthropic":
        return "on-demand"
    return "cross-region"
