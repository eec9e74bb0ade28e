"""The checks of ``claude-bedrock doctor``, in the order a new user meets the problems.

Each check returns :class:`Check` rows and records what later checks need in the shared
:class:`Setup`; a check whose prerequisite failed is *skipped* (saying which one), so the
first ✗ in the table is the one to fix first. Nothing here raises for a set-up problem:
every failure becomes a row that says what is wrong and what to do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from .._debug_log import mask
from ._output import BEDROCK_GUIDE, ExitCode, classify

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from ..wire.signing import Credentials

__all__ = ["Check", "Setup", "Status", "aws_cli_version_ok", "credentials", "identity", "region"]

Status = Literal["ok", "fail", "warn", "skip"]
MIN_AWS_CLI = (2, 13, 23)
_TIMEOUT = 10.0
_SET_CREDENTIALS = (
    "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure` (or "
    "`aws sso login --profile NAME`), or set AWS_BEARER_TOKEN_BEDROCK to a Bedrock API key. "
    "For the local emulator: run `claude-bedrock serve` in another terminal, then "
    'eval "$(claude-bedrock serve --env)".'
)
_UNREACHABLE = (
    "Check the network or proxy, and AWS_ENDPOINT_URL / --endpoint-url if set; for the local "
    "emulator, start it with `claude-bedrock serve`."
)
_SOURCES = {
    "env": "environment variables (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
    "shared-credentials-file": "shared credentials file (~/.aws/credentials)",
    "config-file": "AWS config file (~/.aws/config)",
    "sso": "IAM Identity Center (SSO) login",
    "assume-role": "assumed role (profile's role_arn)",
    "assume-role-with-web-identity": "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)",
    "custom-process": "credential_process of the profile",
    "container-role": "container role (ECS/EKS)",
    "iam-role": "EC2 instance role",
    "explicit": "explicit keys",
}


@dataclass
class Check:
    """One row of the doctor's table."""

    name: str
    status: Status
    detail: str
    fix: str | None = None
    #: The exit code when this check fails.
    code: ExitCode = ExitCode.API_ERROR
    group: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "status": self.status, "detail": self.detail}
        if self.fix:
            data["fix"] = self.fix
        if self.group:
            data["group"] = self.group
        return data


@dataclass
class Setup:
    """The options, and what the checks found so far."""

    region_option: str | None
    profile: str | None
    endpoint_url: str | None
    probe: bool = False
    api_key: str | None = field(default=None, repr=False)
    credentials: Credentials | None = None
    region: str | None = None
    reachable: bool = False
    client: AnthropicBedrock | None = None
    failed: set[str] = field(default_factory=set)

    @property
    def has_credentials(self) -> bool:
        return self.api_key is not None or self.credentials is not None


# -- 1. credentials -------------------------------------------------------------------------


def credentials(setup: Setup) -> list[Check]:
    name = "credentials"
    api_key = os.environ.get("AWS_BEARER_TOKEN_BEDROCK") or None
    if api_key:
        setup.api_key = api_key
        note = ""
        if os.environ.get("AWS_ACCESS_KEY_ID"):
            note = " (it takes precedence over AWS_ACCESS_KEY_ID)"
        return [Check(name, "ok", f"Bedrock API key {mask(api_key)} from "
                      f"AWS_BEARER_TOKEN_BEDROCK{note}")]  # fmt: skip
    import botocore.exceptions
    import botocore.session

    try:
        session = botocore.session.Session(profile=setup.profile)
        found = session.get_credentials()
        frozen = found.get_frozen_credentials() if found is not None else None
    except botocore.exceptions.ProfileNotFound:
        return [
            _no_credentials(
                setup,
                f"AWS profile {setup.profile or os.environ.get('AWS_PROFILE')!r} does not exist",
                "List the profiles with `aws configure "
                "list-profiles`, or unset AWS_PROFILE / pass the right --profile.",
            )
        ]
    except Exception as exc:  # an SSO token expired, a broken config file, a failed role
        return [
            _no_credentials(
                setup,
                f"the AWS credential chain failed: {type(exc).__name__}: {exc}",
                _SET_CREDENTIALS,
            )
        ]
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        return [
            _no_credentials(
                setup,
                "no AWS credentials found (environment, ~/.aws, SSO, roles) and no Bedrock API key",
                _SET_CREDENTIALS,
            )
        ]
    from ..wire.signing import Credentials

    setup.credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
    method = str(getattr(found, "method", "") or "")
    source = _SOURCES.get(method, method or "botocore's credential chain")
    profile = setup.profile or os.environ.get("AWS_PROFILE")
    if profile and method not in ("env", "explicit"):
        source += f", profile {profile}"
    kind = "temporary (session token)" if frozen.token else "long-term"
    return [Check(name, "ok", f"{kind} key {mask(frozen.access_key)} from {source}")]


def _no_credentials(setup: Setup, detail: str, fix: str) -> Check:
    setup.failed.add("credentials")
    return Check("credentials", "fail", detail, fix, ExitCode.CREDENTIALS)


# -- 2. identity ----------------------------------------------------------------------------


def sts_endpoint(setup: Setup, region: str) -> str:
    """AWS_ENDPOINT_URL_STS, --endpoint-url, AWS_ENDPOINT_URL, then the Region's STS."""
    for value in (os.environ.get("AWS_ENDPOINT_URL_STS"), setup.endpoint_url,
                  os.environ.get("AWS_ENDPOINT_URL")):  # fmt: skip
        if value:
            return value.rstrip("/")
    return f"https://sts.{region}.amazonaws.com"


_STS_FIXES = {
    "InvalidClientTokenId": (
        "AWS does not know this access key ID: it was mistyped, deleted or deactivated. "
        "Check AWS_ACCESS_KEY_ID or the profile (`aws configure list`), or create a new "
        "access key in IAM."
    ),
    "SignatureDoesNotMatch": (
        "The secret key does not belong to this access key ID (or the clock is more than "
        "5 minutes off). Check AWS_SECRET_ACCESS_KEY / aws_secret_access_key."
    ),
    "ExpiredToken": "The temporary credentials expired: `aws sso login`, or assume the role again.",
}


def identity(setup: Setup) -> list[Check]:
    name = "identity (sts:GetCallerIdentity)"
    if setup.api_key is not None:
        return [Check(name, "skip", "a Bedrock API key has no STS identity; the model checks "
                      "below use the key")]  # fmt: skip
    if setup.credentials is None:
        return [Check(name, "skip", "needs credentials")]
    if "region" in setup.failed:
        return [Check(name, "skip", "needs a valid region (STS requests are signed for one)")]
    region = _region_for_sts(setup)
    url = sts_endpoint(setup, region)
    try:
        status, fields = _get_caller_identity(url, region, setup.credentials)
    except Exception as exc:
        setup.failed.add("identity")
        return [Check(name, "fail", f"could not reach STS at {url}: {type(exc).__name__}",
                      _UNREACHABLE, ExitCode.NETWORK)]  # fmt: skip
    if status == 200 and "Arn" in fields:
        return [Check(name, "ok", f"{fields['Arn']} (account {fields.get('Account', '?')})")]
    setup.failed.add("identity")
    code = fields.get("Code", f"HTTP {status}")
    fix = _STS_FIXES.get(code, "Check the credentials above; `aws sts get-caller-identity` "
                         "shows the same error.")  # fmt: skip
    return [Check(name, "fail", f"{code}: {fields.get('Message', '')}".strip(), fix,
                  ExitCode.CREDENTIALS)]  # fmt: skip


def _region_for_sts(setup: Setup) -> str:
    from .._config import resolve_region

    return setup.region or resolve_region(setup.region_option, setup.profile)


def _get_caller_identity(url: str, region: str, creds: Credentials) -> tuple[int, dict[str, str]]:
    import httpx

    from ..wire.signing import SigV4Signer

    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    headers.update(SigV4Signer(region, "sts").sign("POST", url + "/", headers, body, creds))
    response = httpx.post(url + "/", content=body, headers=headers, timeout=_TIMEOUT)
    return response.status_code, _xml_fields(response.content)


def _xml_fields(content: bytes) -> dict[str, str]:
    """Leaf elements of an STS answer by local name (Arn, Account, Code, Message...)."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return {}
    return {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter() if len(el) == 0}


# -- 3. region ------------------------------------------------------------------------------


def _region_source(setup: Setup) -> tuple[str, str]:
    """The Region the client will use, and where that comes from (as the client reads it)."""
    from .._config import DEFAULT_REGION, resolve_region

    if setup.region_option:
        return setup.region_option, "from --region"
    for env in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(env):
            return os.environ[env], f"from {env}"
    region = resolve_region(None, setup.profile)
    if region != DEFAULT_REGION:
        return region, "from the profile's region in ~/.aws/config"
    return region, "the default: no --region, AWS_REGION or profile region"


def region(setup: Setup) -> list[Check]:
    from ..catalog import Catalog

    name = "region and geography"
    value, source = _region_source(setup)
    catalog = Catalog.default()
    if value not in catalog.regions():
        setup.failed.add("region")
        return [Check(name, "fail", f"{value} ({source}) is not a Region where Bedrock "
                      "serves Claude", "Set AWS_REGION or pass --region to one of: "
                      + ", ".join(catalog.regions()), ExitCode.CREDENTIALS)]  # fmt: skip
    setup.region = value
    geographies = catalog.geographies(value)
    if not geographies:
        return [Check(name, "warn", f"{value} ({source}): no geography, Claude only "
                      "through global. profiles", "Pick a Region in us, eu, jp or apac for "
                      "regional endpoints.")]  # fmt: skip
    return [Check(name, "ok", f"{value} ({source}) · geography {geographies[0]}")]


# -- 4. endpoint ----------------------------------------------------------------------------


def endpoint(setup: Setup) -> list[Check]:
    from .._config import resolve_endpoints

    name = "endpoint reachability"
    if setup.region is None:
        return [Check(name, "skip", "needs a valid region")]
    endpoints = resolve_endpoints(setup.region, setup.endpoint_url, setup.endpoint_url)
    # Each surface's host: bedrock-runtime (InvokeModel, Converse, CountTokens and its
    # /anthropic Messages API), the control plane, and bedrock-mantle's Messages API.
    urls = [endpoints.runtime]
    if endpoints.control != endpoints.runtime:
        urls.append(endpoints.control)
    rows = [_reach(name, url) for url in urls]
    setup.reachable = all(row.status == "ok" for row in rows)
    if not setup.reachable:
        setup.failed.add("endpoint")
    mantle_host = endpoints.mantle.removesuffix("/anthropic")
    if mantle_host not in urls:  # optional: only AnthropicBedrockMantle needs it
        rows.append(_optional(_reach(name, mantle_host), "AnthropicBedrockMantle (bedrock-mantle)"))
    return rows


def _optional(row: Check, needed_by: str) -> Check:
    """An unreachable endpoint that only one surface needs is a warning, not a failure."""
    if row.status != "fail":
        return row
    return Check(row.name, "warn", f"{row.detail} · needed only by {needed_by}",
                 "Check the network path to it if you use that surface.")  # fmt: skip


def _reach(name: str, url: str) -> Check:
    import httpx

    started = time.perf_counter()
    try:
        response = httpx.get(url + "/", timeout=_TIMEOUT)
    except httpx.HTTPError as exc:
        return Check(name, "fail", f"{url}: {type(exc).__name__}", _UNREACHABLE,
                     ExitCode.NETWORK)  # fmt: skip
    elapsed = (time.perf_counter() - started) * 1000
    what = _emulator_note(url)
    return Check(name, "ok", f"{url} answers (HTTP {response.status_code}, {elapsed:.0f} ms)"
                 f"{what}")  # fmt: skip


def _emulator_note(url: str) -> str:
    """`` · claude-bedrock emulator`` when the endpoint is ours (never pretend it is AWS)."""
    host = urlsplit(url).hostname or ""
    if host.endswith((".amazonaws.com", ".api.aws", ".amazonaws.com.cn")):
        return ""
    import httpx

    try:
        health = httpx.get(url + "/_emulator/health", timeout=_TIMEOUT).json()
    except Exception:
        return ""
    if isinstance(health, dict) and health.get("status") == "ok":
        return f" · claude-bedrock emulator, engine {health.get('engine')}, not Claude"
    return ""


# -- 7. AWS CLI -----------------------------------------------------------------------------


def aws_cli_version_ok(text: str) -> tuple[tuple[int, int, int] | None, bool]:
    """The version in ``aws --version`` output, and whether it is >= 2.13.23."""
    match = re.search(r"aws-cli/(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        return None, False
    version = (int(match[1]), int(match[2]), int(match[3]))
    return version, version >= MIN_AWS_CLI


def aws_cli(setup: Setup) -> list[Check]:
    name = "AWS CLI"
    path = shutil.which("aws")
    wanted = ".".join(map(str, MIN_AWS_CLI))
    if path is None:
        return [Check(name, "skip", f"not installed (optional here; Anthropic's Bedrock "
                      f"set-up guide uses AWS CLI {wanted}+)")]  # fmt: skip
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True,
                              timeout=30, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Check(name, "warn", f"{path} did not answer `aws --version` ({exc})")]
    version, ok = aws_cli_version_ok(done.stdout + done.stderr)
    if version is None:
        return [Check(name, "warn", f"{path}: unrecognised `aws --version` output")]
    shown = ".".join(map(str, version))
    if ok:
        return [Check(name, "ok", f"{shown} (>= {wanted})")]
    return [
        Check(
            name,
            "warn",
            f"{shown} is older than {wanted}, which Anthropic's Bedrock set-up guide "
            f"asks for (this toolkit does not need it; {BEDROCK_GUIDE})",
            "Install AWS CLI v2: "
            "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
        )
    ]


def api_failure(exc: BaseException) -> tuple[str, str | None, ExitCode]:
    """Message, fix and exit code for an error of a Bedrock call made by a check."""
    failure = classify(exc)
    return failure.message, failure.fix, failure.code
