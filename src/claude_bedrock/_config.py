"""Where a client sends its requests: region and endpoints, resolved once per client; and
the AWS profile's settings that concern the connection (``region``, ``ca_bundle``).

The order is the Anthropic SDK's, extended the way AWS tools behave, so that one
environment variable (``AWS_ENDPOINT_URL``) points every part of the client, runtime and
control plane, at the same place (our emulator, a VPC endpoint, a proxy).

The Messages API surfaces have a base URL ending in ``/anthropic``, as the official SDK's
``base_url`` does (``https://bedrock-mantle.{region}.api.aws/anthropic``): the request
paths after it are the Anthropic API's own (``/v1/messages``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._exceptions import ClientValidationError
from .wire.messages_api import BASE_PATH, MANTLE_HOST

#: The Anthropic SDK's default when nothing else names a region.
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Base URLs of the Bedrock APIs a client talks to (no trailing slash).

    ``mantle`` is bedrock-mantle's Messages API base (ending in ``/anthropic`` unless the
    user named another): where ``AnthropicBedrockMantle`` sends everything and where
    ``AnthropicBedrock`` counts tokens for models only bedrock-mantle can count.
    """

    runtime: str
    control: str
    mantle: str = ""


def resolve_region(aws_region: str | None, aws_profile: str | None) -> str:
    """Argument, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's region, ``us-east-1``.

    The Anthropic SDK stops at ``AWS_REGION`` (it never reads ``~/.aws/config``); we also
    honour the profile's region, after the environment, because that is where most AWS
    users set it. The profile is read only when nothing before it answered, so that a
    client built with an explicit region never imports botocore.
    """
    if aws_region:
        return aws_region
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name)
        if value:
            return value
    return _profile_region(aws_profile) or DEFAULT_REGION


def _profile_region(aws_profile: str | None) -> str | None:
    return _profile_setting(aws_profile, "region")


def profile_ca_bundle(aws_profile: str | None) -> str | None:
    """``ca_bundle`` of the AWS profile (``aws_profile``, else ``AWS_PROFILE``), as botocore
    reads it (the config file, and the credentials file merged in).

    botocore is imported only if one of those files exists: a machine without them (a
    container, a Lambda function) has no profile to read and skips the ~100 ms import.
    """
    files = (
        os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config",
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials",
    )
    if not any(os.path.isfile(os.path.expanduser(path)) for path in files):
        return None
    return _profile_setting(aws_profile, "ca_bundle")


def _profile_setting(aws_profile: str | None, name: str) -> str | None:
    """One setting of the profile through botocore's own config loading (and its
    precedence: for ``ca_bundle`` the ``AWS_CA_BUNDLE`` variable comes first)."""
    try:
        import botocore.session
    except ImportError:  # pragma: no cover - botocore is a dependency
        return None
    try:
        session = botocore.session.Session(profile=aws_profile)
        value = session.get_config_variable(name)
    except Exception:  # a broken or missing profile is reported by the credential step
        return None
    return str(value) if value else None


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _is_aws_runtime_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.startswith("bedrock-runtime.") and host.endswith(
        (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
    )


def mantle_default(region: str) -> str:
    """bedrock-mantle's Messages API base for ``region`` (the official SDK's default)."""
    return "https://" + MANTLE_HOST.format(region=region) + BASE_PATH


def resolve_endpoints(
    region: str, base_url: str | None, control_plane_url: str | None = None
) -> Endpoints:
    """Runtime: ``base_url``, ``ANTHROPIC_BEDROCK_BASE_URL``, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``,
    ``AWS_ENDPOINT_URL``, then ``https://bedrock-runtime.{region}.amazonaws.com``.

    Control plane: ``control_plane_url``, ``AWS_ENDPOINT_URL_BEDROCK``, ``AWS_ENDPOINT_URL``;
    else, when the runtime URL is not an AWS runtime host (an emulator or a proxy that
    serves both APIs), the runtime URL; else ``https://bedrock.{region}.amazonaws.com``.

    bedrock-mantle (token counting for the models only it counts):
    ``ANTHROPIC_BEDROCK_MANTLE_BASE_URL``; else, when the runtime URL is not an AWS runtime
    host, the same host (``{runtime}/anthropic``: the emulator serves both); else
    ``https://bedrock-mantle.{region}.api.aws/anthropic``.
    """
    runtime = (
        base_url
        or _env(
            "ANTHROPIC_BEDROCK_BASE_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"
        )
        or f"https://bedrock-runtime.{region}.amazonaws.com"
    )
    runtime = str(runtime).rstrip("/")
    control = control_plane_url or _env("AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL")
    if not control:
        if _is_aws_runtime_host(runtime):
            control = f"https://bedrock.{region}.amazonaws.com"
        else:
            control = runtime
    mantle = _env(MANTLE_BASE_URL_ENV)
    if not mantle:
        mantle = mantle_default(region) if _is_aws_runtime_host(runtime) else runtime + BASE_PATH
    return Endpoints(runtime=runtime, control=str(control).rstrip("/"), mantle=mantle.rstrip("/"))


#: The official SDK's variable naming bedrock-mantle's base URL (``.../anthropic``).
MANTLE_BASE_URL_ENV = "ANTHROPIC_BEDROCK_MANTLE_BASE_URL"


def resolve_mantle_region(aws_region: str | None, aws_profile: str | None) -> str | None:
    """Argument, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, then the profile's region; None if
    none names one (``AnthropicBedrockMantle`` then needs a base URL: it has no default
    Region, as the official SDK's class has none)."""
    if aws_region:
        return aws_region
    return _env("AWS_REGION", "AWS_DEFAULT_REGION") or _profile_region(aws_profile)


def resolve_mantle_base(region: str | None, base_url: str | None) -> str:
    """``AnthropicBedrockMantle``'s base: ``base_url``, ``ANTHROPIC_BEDROCK_MANTLE_BASE_URL``,
    then ``https://bedrock-mantle.{region}.api.aws/anthropic``. Without a Region and a base
    URL there is nowhere to send: refused before sending (as the official SDK does)."""
    base = base_url or _env(MANTLE_BASE_URL_ENV)
    if base:
        return str(base).rstrip("/")
    if region is None:
        raise ClientValidationError(
            "No AWS Region or base URL for bedrock-mantle. Pass aws_region= (or set "
            "AWS_REGION / AWS_DEFAULT_REGION, or a region in your AWS profile), or pass "
            f"base_url= (or set {MANTLE_BASE_URL_ENV}), e.g. "
            f"{mantle_default('us-east-1')!r}."
        )
    return mantle_default(region)
