"""``doctor`` checks that talk to Bedrock: model access in the Region, invocation logging.

Model access is the control plane's view by default: the catalogue's models merged with
ListFoundationModels and ListInferenceProfiles (``client.models.list()``), then
GetFoundationModelAvailability per model where the endpoint serves it (the account's
authorization, entitlement and agreement). ``--probe`` adds the only proof that cannot
lie: a 1-token call to each model (a few tokens billed per model).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._exceptions import LegacyModelWarning
from ._doctor_checks import Check, Setup, Status, api_failure
from ._output import BEDROCK_GUIDE, ExitCode

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from ..types.models import ModelEntry

__all__ = ["invocation_logging", "models"]

_ACCESS_FIX = (
    "Request access: AWS Console > Amazon Bedrock > Model access (availability varies by "
    "Region); it can take a few minutes to be granted."
)
_LOGGING_FIX = (
    "Turn it on, keeping at least a rolling 30 days (Anthropic's advice, " + BEDROCK_GUIDE + "): "
    "`claude-bedrock logging enable --s3-bucket BUCKET` (or --cloudwatch-log-group GROUP "
    "--role-arn ROLE)."
)
_MIN_DAYS = 30


def _client(setup: Setup) -> AnthropicBedrock | None:
    from .. import AnthropicBedrock

    if setup.client is None and setup.region is not None:
        setup.client = AnthropicBedrock(
            aws_region=setup.region,
            aws_profile=setup.profile if setup.api_key is None else None,
            base_url=setup.endpoint_url,
            control_plane_url=setup.endpoint_url,
            max_retries=0,
            timeout=30.0,
        )
    return setup.client


def _blocked(setup: Setup) -> str | None:
    """Why Bedrock checks cannot run (the first failed prerequisite), else None."""
    if not setup.has_credentials:
        return "needs credentials"
    if "identity" in setup.failed:
        return "needs a working identity"
    if setup.region is None:
        return "needs a valid region"
    if not setup.reachable:
        return "needs a reachable endpoint"
    return None


# -- 5. models ------------------------------------------------------------------------------


def models(setup: Setup) -> list[Check]:
    name = "model access"
    reason = _blocked(setup)
    client = _client(setup) if reason is None else None
    if client is None:
        return [Check(name, "skip", reason or "needs a valid region", group="models")]
    try:
        entries = client.models.list()
    except Exception as exc:
        message, fix, code = api_failure(exc)
        setup.failed.add("models")
        return [Check(name, "fail", f"ListFoundationModels/ListInferenceProfiles: {message}",
                      fix, code, group="models")]  # fmt: skip
    availability = _Availability(client)
    rows = [_model_row(setup, client, entry, availability) for entry in entries]
    if not any(row.status == "ok" for row in rows):
        setup.failed.add("models")
    return [_method_row(setup, availability), *rows]


def _method_row(setup: Setup, availability: _Availability) -> Check:
    """How access was judged, said once rather than on every model row."""
    if setup.probe:
        how = "a 1-token call to each model (--probe)"
    elif availability.answered:
        how = "GetFoundationModelAvailability (authorization, entitlement, agreement)"
    else:
        how = (
            "the control plane's listings only (ListFoundationModels, "
            "ListInferenceProfiles); --probe proves access with a 1-token call each"
        )
    return Check("model access", "ok", f"{setup.region}: judged by {how}", group="models")


def _model_row(
    setup: Setup, client: AnthropicBedrock, entry: ModelEntry, availability: _Availability
) -> Check:
    name = entry.name
    note = " · deprecated" if entry.deprecated else ""
    if entry.recommended_id is None:
        offered = ", ".join(entry.offered_scopes) or "nowhere"
        return Check(name, "skip", f"not offered from {entry.region} (offered in: {offered})"
                     f"{note}", group="models")  # fmt: skip
    reported = entry.reported_scopes or []
    if entry.listed is False and not reported:
        return Check(name, "warn", f"the catalogue offers it here but Bedrock does not list it in "
                     f"{entry.region}{note}", "See `aws bedrock list-foundation-models "
                     "--by-provider anthropic`; the model may have been retired here.",
                     group="models")  # fmt: skip
    where = f"{entry.recommended_id}{note}"
    if setup.probe:
        return _probe(client, entry, where)
    state = availability.check(entry.id)
    if state is None:
        return Check(name, "ok", f"{where} · listed", group="models")
    if state:
        return Check(name, "ok", f"{where} · access granted", group="models")
    status: Status = "warn" if entry.deprecated else "fail"
    return Check(name, status, f"{where} · access not granted to this account", _ACCESS_FIX,
                 ExitCode.MODEL, group="models")  # fmt: skip


def _probe(client: AnthropicBedrock, entry: ModelEntry, where: str) -> Check:
    assert entry.recommended_id is not None
    try:
        with warnings.catch_warnings():  # the row already says "deprecated" (Legacy)
            warnings.simplefilter("ignore", LegacyModelWarning)
            message = client.messages.create(
                model=entry.recommended_id,
                max_tokens=1,
                messages=[{"role": "user", "content": "ping"}],
            )
    except Exception as exc:
        text, fix, code = api_failure(exc)
        status: Status = "warn" if entry.deprecated else "fail"
        return Check(entry.name, status, f"{where} · {text}", fix, code, group="models")
    return Check(entry.name, "ok", f"{where} · answered a 1-token call "
                 f"({message.usage.input_tokens} in)", group="models")  # fmt: skip


class _Availability:
    """GetFoundationModelAvailability, given up on at the first sign the endpoint lacks it."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client
        self.supported = True
        self.answered = False

    def check(self, model_id: str) -> bool | None:
        """True/False: authorized or not; None: could not tell."""
        if not self.supported:
            return None
        from .._exceptions import APIStatusError

        client = self._client
        url = client._core.url("control", f"/foundation-model-availability/{quote(model_id, '')}")
        try:
            data: Any = client._sender.send("GET", url, None).json()
        except APIStatusError:  # unknown operation, or no IAM permission for it
            self.supported = False
            return None
        self.answered = True
        return bool(
            data.get("authorizationStatus") == "AUTHORIZED"
            and data.get("entitlementAvailability") == "AVAILABLE"
            and (data.get("agreementAvailability") or {}).get("status", "AVAILABLE") == "AVAILABLE"
            and data.get("regionAvailability", "AVAILABLE") == "AVAILABLE"
        )


# -- 6. invocation logging ------------------------------------------------------------------


def invocation_logging(setup: Setup) -> list[Check]:
    name = "invocation logging"
    reason = _blocked(setup)
    client = _client(setup) if reason is None else None
    if client is None:
        return [Check(name, "skip", reason or "needs a valid region")]
    from .._exceptions import APIError

    try:
        config = client.invocation_logging.get()
    except APIError as exc:
        message, _, _ = api_failure(exc)
        return [Check(name, "warn", f"could not check: {message}", "Needs the IAM permission "
                      "bedrock:GetModelInvocationLoggingConfiguration.")]  # fmt: skip
    if config is None:
        return [Check(name, "warn", "off: prompts and completions are not logged", _LOGGING_FIX)]
    where = _destinations(config)
    return [Check(name, "ok", f"on → {where}"), _retention(client, config)]


def _destinations(config: Any) -> str:
    parts = []
    if config.s3_config is not None:
        prefix = config.s3_config.key_prefix or ""
        parts.append(f"s3://{config.s3_config.bucket_name}/{prefix}")
    if config.cloud_watch_config is not None:
        parts.append(f"CloudWatch Logs {config.cloud_watch_config.log_group_name}")
    return ", ".join(parts) or "no destination"


def _retention(client: AnthropicBedrock, config: Any) -> Check:
    name = "log retention"
    try:
        settings = client.invocation_logging.retention(config)
    except Exception as exc:
        return Check(name, "warn", f"could not check: {type(exc).__name__}: {exc}")
    problems, kept = [], []
    for item in settings:
        if item.status in ("not_set", "failed"):
            problems.append(f"{item.target}: could not check ({item.detail})")
        elif item.effective_days is not None and item.effective_days < _MIN_DAYS:
            problems.append(f"{item.target}: only {item.effective_days} days")
        else:
            days = "kept until deleted" if item.effective_days is None else (
                f"{item.effective_days} days")  # fmt: skip
            kept.append(f"{item.target}: {days}")
    if problems:
        return Check(name, "warn", "; ".join(problems + kept), f"Keep at least {_MIN_DAYS} "
                     "days: `claude-bedrock logging enable ... --retention-days 30` sets the S3 "
                     "lifecycle rule / CloudWatch Logs retention; `claude-bedrock logging "
                     "status` shows them.")  # fmt: skip
    return Check(name, "ok", "; ".join(kept) or "no destination to check")
