"""What ``client.models`` returns: one :class:`ModelEntry` per Claude model.

An entry answers the questions users actually have about a model on Bedrock: which ID to
put in a call from *this* Region, where it is offered (the catalogue), what Bedrock itself
reports for this account and Region (the control plane), how much context it takes, what
it costs on the global and the regional endpoint, and whether it is on its way out.

Fields that come from the control plane are ``None`` when it was not asked
(``offline=True``); fields that come from the catalogue are ``None`` for a model Bedrock
lists but the catalogue does not know (``in_catalog=False``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from ._base import BaseModel

__all__ = ["Disagreement", "LiveModels", "ModelEntry", "Prices", "ScopeStatus"]


class Prices(BaseModel):
    """USD per million tokens on one endpoint type (list prices, up to 200K input tokens)."""

    input: float
    output: float
    cache_write: float
    cache_read: float
    #: Above 200K input tokens (1M-context beta), when the model has such prices.
    long_context_input: float | None = None
    long_context_output: float | None = None


class ScopeStatus(BaseModel):
    """One routing scope of a model: ``global`` or a geography (``us``, ``eu``, ``jp``...).

    ``offered`` is the catalogue's word; ``reported`` is whether Bedrock's
    ListInferenceProfiles returned the profile to this account in this Region. Bedrock only
    lists the profiles a Region can call, so ``reported`` is ``None`` for the other scopes,
    and when the control plane was not asked.
    """

    scope: str
    profile_id: str
    offered: bool
    reachable: bool
    reported: bool | None = None


class ModelEntry(BaseModel):
    """A Claude model as the catalogue and Bedrock (for one account and Region) see it."""

    id: str
    name: str
    in_catalog: bool
    region: str
    #: The model ID to send from ``region`` (a ``global.`` or geography profile, or the base
    #: ID where single-Region on-demand works); None when the Region cannot reach the model.
    recommended_id: str | None = None
    family: str | None = None
    version: str | None = None
    scopes: list[ScopeStatus] = []
    context_window: int | None = None
    #: Tokens with the 1M-context beta (``context_1m_beta``), when the model supports it.
    context_1m_tokens: int | None = None
    context_1m_beta: str | None = None
    max_output_tokens: int | None = None
    pricing_global: Prices | None = None
    pricing_regional: Prices | None = None
    deprecated: bool = False
    successor: str | None = None
    aliases: list[str] = []
    #: ``active``, ``legacy`` (still served until ``eol_date``) or ``eol`` (refused), after
    #: the account's live lists when they were read (``client.models.refresh()``).
    lifecycle: Literal["active", "legacy", "eol"] | str = "active"
    legacy_date: date | None = None
    eol_date: date | None = None
    #: The surfaces that serve the model (``invoke``, ``converse``, ``count-tokens``,
    #: ``runtime-messages``, ``mantle``), as the data says.
    surfaces: list[str] = []
    #: The ID on bedrock-mantle's Messages API (bare, in-Region), when mantle serves it.
    mantle_id: str | None = None
    #: False for a model only Bedrock's lists know: no prices, no limits (cost is None).
    priced: bool = True
    # -- from Bedrock's control plane (None when not asked) --------------------------------
    #: Whether ListFoundationModels / GetFoundationModel returned the model in ``region``.
    listed: bool | None = None
    model_arn: str | None = None
    lifecycle_status: Literal["ACTIVE", "LEGACY"] | str | None = None
    inference_types: list[str] | None = None

    @property
    def offered_scopes(self) -> list[str]:
        """The scopes the catalogue offers the model in, global first."""
        return [s.scope for s in self.scopes if s.offered]

    @property
    def reported_scopes(self) -> list[str] | None:
        """The scopes whose profile Bedrock listed in this Region (None when not asked)."""
        if all(s.reported is None for s in self.scopes):
            return None
        return [s.scope for s in self.scopes if s.reported]

    def scope(self, name: str) -> ScopeStatus | None:
        """The status of one scope (``global``, ``us``...), or None if the model has none."""
        return next((s for s in self.scopes if s.scope == name), None)


class LiveModels(BaseModel):
    """The account's live model lists a client resolves against (``client.models.refresh()``).

    ``source`` says whether they were just fetched (``bedrock``) or read from the cache
    (``cache``, written by an earlier refresh of the same identity); ``fetched_at`` is when
    Bedrock answered, whichever it is.
    """

    account: str | None
    region: str
    fetched_at: datetime
    source: Literal["bedrock", "cache"]
    cache_path: str | None = None
    #: Claude base model IDs ListFoundationModels returned, and the profile IDs
    #: ListInferenceProfiles returned (system-defined, callable from ``region``).
    models: list[str] = []
    profiles: list[str] = []
    #: Model IDs bedrock-mantle's model list returned; None when it was not read.
    mantle_models: list[str] | None = None
    #: Why a part was skipped (the mantle list, typically).
    notes: list[str] = []

    def age_seconds(self, now: datetime | None = None) -> float:
        """Seconds since Bedrock answered."""
        return ((now or datetime.now(UTC)) - self.fetched_at).total_seconds()


class Disagreement(BaseModel):
    """One place where the bundled catalogue and the account's live lists differ."""

    kind: str
    model: str
    detail: str
    profile: str | None = None
