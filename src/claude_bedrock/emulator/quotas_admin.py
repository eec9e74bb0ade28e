"""The quota governor's admin routes (loopback, no auth): ``GET /_emulator/stats``,
``POST /_emulator/quotas/reset`` and ``POST /_emulator/clock`` (see :mod:`.quotas`).

Apart from the governor so that its module keeps to admission; these only read its
buckets and counters, or reset them, or move its manual clock.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import validation_error
from .http_types import Request, Response
from .quotas_bucket import ManualClock, TokenBucket

if TYPE_CHECKING:
    from .app import EmulatorApp
    from .quotas import QuotaGovernor

__all__ = ["add_admin_routes", "stats"]


def add_admin_routes(app: EmulatorApp, governor: QuotaGovernor) -> None:
    """Install the three routes on ``app``, bound to ``governor``."""

    async def stats_route(request: Request) -> Response:
        keys = request.query_value("keys")
        return Response.json(stats(governor, request.query_value("key"), keys == "all"))

    async def reset_route(request: Request) -> Response:
        governor.reset()
        return Response.json({"reset": True})

    async def clock_route(request: Request) -> Response:
        return Response.json({"now": advance(governor, request)})

    app.add_route("GET", "/_emulator/stats", stats_route, auth=False)
    app.add_route("POST", "/_emulator/quotas/reset", reset_route, auth=False)
    app.add_route("POST", "/_emulator/clock", clock_route, auth=False)


def stats(
    governor: QuotaGovernor, key: str | None = None, all_keys: bool = False
) -> dict[str, Any]:
    """What ``GET /_emulator/stats`` answers (see :mod:`.quotas`): the counters, each
    per-minute bucket under its endpoint, Region, model and scope, and each model's
    tokens-per-day bucket under ``days`` (one per model and Region: its scopes share it)."""
    report: dict[str, Any] = {
        "enabled": True,
        "source": governor.settings.source,
        "window": governor.settings.window,
        "day": governor.settings.window * governor.settings.table.day_windows,
        "clock": governor.clock.now(),
        "seed": governor.settings.seed,
        "totals": governor.totals.as_dict(),
        "by_model": {m: c.as_dict() for m, c in sorted(governor.by_model.items())},
        "keys": len(governor.by_key),
        "buckets": [
            {"endpoint": endpoint, "region": region, "model": model, "scope": scope,
             **{name: _level(b) for name, b in buckets.items() if name != "tpd"}}
            for (endpoint, region, model, scope), (buckets, _) in sorted(governor.buckets.items())
        ],
        "days": [
            {"region": region, "model": model, "tpd": _level(day)}
            for (region, model), day in sorted(governor.days.items())
        ],
    }  # fmt: skip
    if key is not None:
        report["key"] = {"name": key, **governor.counts_of(key)}
    if all_keys:
        report["by_key"] = {k: c.as_dict() for k, c in governor.by_key.items()}
    return report


def advance(governor: QuotaGovernor, request: Request) -> float:
    """``POST /_emulator/clock?advance=S`` (or a JSON body ``{"advance": S}``): the new time."""
    clock = governor.clock
    if not isinstance(clock, ManualClock):
        raise validation_error("The quota clock is the system clock; start with clock=manual.")
    text = request.query_value("advance")
    if text is None and request.body:
        try:
            text = str(json.loads(request.body).get("advance"))
        except (ValueError, AttributeError):
            raise validation_error('Expected a JSON body {"advance": seconds}.') from None
    try:
        return clock.advance(float(text or "0"))
    except ValueError:
        raise validation_error("advance must be a non-negative number of seconds.") from None


def _level(bucket: TokenBucket) -> dict[str, float]:
    return {"limit": bucket.limit, "available": round(bucket.available(), 3),
            "ceiling": round(bucket.ceiling(), 3)}  # fmt: skip
