"""Where a client sends its requests: region and endpoints, resolved once per client; and
the AWS profile's settings that concern the connection (``region``, ``ca_bundle``).

The order is the Anthropic SDK's, extended the way AWS tools behave, so that one
environment variable (``AWS_ENDPOINT_URL``) points every part of the client, runtime and
control plane, at the same place (our emulator, a VPC endpoint, a proxy).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

#: The Anthropic SDK's default when nothing else names a region.
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Base URLs of the two Bedrock APIs a client talks to (no trailing slash)."""

    runtime: str
    control: str


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


def resolve_endpoints(
    region: str, base_url: str | None, control_plane_url: str | None = None
) -> Endpoints:
    """Runtime: ``base_url``, ``ANTHROPIC_BEDROCK_BASE_URL``, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``,
    ``AWS_ENDPOINT_URL``, then ``https://bedrock-runtime.{region}.amazonaws.com``.

    Control plane: ``control_plane_url``, ``AWS_ENDPOINT_URL_BEDROCK``, ``AWS_ENDPOINT_URL``;
    else, when the runtime URL is not an AWS runtime host (an emulator or a proxy that
    serves both APIs), the runtime URL; else ``https://bedrock.{region}.amazonaws.com``.
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
    return Endpoints(runtime=runtime, control=str(control).rstrip("/"))
