"""The engine behind quota admission (see :mod:`.quotas`).

Quotas are settled where the answer is made: the routes validate a request, then ask the
engine; this wrapper admits the request (or raises Bedrock's 429 / 503 / 529) right before
the engine runs and reconciles the reservation with the usage it answers. Which request it
serves comes from :data:`TICKET`, set by the quota middleware for the governed operations
only; a call without one (a batch job's records) passes straight through. No route changes:
InvokeModel, Converse, their streams and the Messages API all meet the quota the same way.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .quotas import QuotaGovernor, Ticket

__all__ = ["TICKET", "GovernedEngine"]

#: The governed request being served (None outside the quota middleware).
TICKET: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar(
    "claude_bedrock_quota_ticket", default=None
)


class GovernedEngine:
    """The engine behind quota admission: a governed request is admitted before it runs
    and settled with its usage after; anything else (batch jobs) passes straight through."""

    def __init__(self, inner: Any, governor: QuotaGovernor) -> None:
        self.inner = inner
        self.governor = governor
        self.name = getattr(inner, "name", type(inner).__name__)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def respond(self, request: Mapping[str, Any], model: str) -> dict[str, Any]:
        ticket = TICKET.get()
        if ticket is None:
            return self.inner.respond(request, model)  # type: ignore[no-any-return]
        reservation = self.governor.admit(ticket, request, model)
        try:
            message: dict[str, Any] = self.inner.respond(request, model)
        except BaseException:
            self.governor.cancel(reservation)
            raise
        self.governor.settle(reservation, message.get("usage") or {}, ticket)
        return message

    def stream_events(self, request: Mapping[str, Any], model: str) -> list[dict[str, Any]]:
        ticket = TICKET.get()
        if ticket is None:
            return self.inner.stream_events(request, model)  # type: ignore[no-any-return]
        reservation = self.governor.admit(ticket, request, model)
        try:
            events: list[dict[str, Any]] = self.inner.stream_events(request, model)
        except BaseException:
            self.governor.cancel(reservation)
            raise
        self.governor.settle(reservation, _stream_usage(events), ticket)
        return events


def _stream_usage(events: list[dict[str, Any]]) -> dict[str, Any]:
    usage: dict[str, Any] = {}
    for event in events:
        if event.get("type") == "message_start":
            usage.update(event.get("message", {}).get("usage") or {})
        elif event.get("type") == "message_delta":
            usage.update(event.get("usage") or {})
    return usage
