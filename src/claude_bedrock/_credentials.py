"""Where a client's authority comes from: explicit keys, a Bedrock API key, or botocore's chain.

botocore resolves the AWS credential chain (environment, shared files, profiles, SSO,
assume-role, container and instance roles) and refreshes temporary credentials; we do not
write our own. It is imported only when the chain is needed, so a client given explicit
keys or an API key starts without paying botocore's import (about 100 ms).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ._debug_log import mask
from ._exceptions import CredentialsError
from .wire.signing import Credentials

__all__ = ["MANTLE_API_KEY_ENV", "CredentialSource", "mask", "resolve_auth"]

#: Where ``AnthropicBedrock`` finds a Bedrock API key when none is passed.
API_KEY_ENV = ("AWS_BEARER_TOKEN_BEDROCK",)
#: Where ``AnthropicBedrockMantle`` finds one, in the official SDK's order.
MANTLE_API_KEY_ENV = ("AWS_BEARER_TOKEN_BEDROCK", "ANTHROPIC_AWS_API_KEY")

Auth = tuple[str | None, "CredentialSource | None"]


def resolve_auth(
    *,
    api_key: str | None,
    access_key: str | None,
    secret_key: str | None,
    session_token: str | None,
    profile: str | None,
    mantle: bool = False,
    skip_auth: bool = False,
) -> Auth:
    """``(api_key, None)`` for a Bearer key, ``(None, source)`` for SigV4, ``(None, None)``
    for no authentication at all (``skip_auth``: a gateway that signs for us).

    ``AnthropicBedrock`` (the official SDK's rule): ``api_key``, else
    ``AWS_BEARER_TOKEN_BEDROCK``; a key together with any AWS credential argument is refused.
    ``AnthropicBedrockMantle`` (the official SDK's precedence): ``api_key``; explicit keys or
    ``aws_profile`` (SigV4); ``AWS_BEARER_TOKEN_BEDROCK`` then ``ANTHROPIC_AWS_API_KEY``; the
    AWS chain. Where the SDK would silently ignore AWS keys passed beside ``api_key``, we
    refuse the pair: one of them would be dropped without a word.
    """
    if skip_auth:
        return None, None
    explicit = [
        name
        for name, value in (
            ("aws_access_key", access_key), ("aws_secret_key", secret_key),
            ("aws_session_token", session_token), ("aws_profile", profile),
        )
        if value is not None
    ]  # fmt: skip
    if api_key is None and not (mantle and explicit):
        api_key = _env_key(MANTLE_API_KEY_ENV if mantle else API_KEY_ENV)
    if api_key is not None and explicit:
        where = "`api_key`" if mantle else "`api_key` / AWS_BEARER_TOKEN_BEDROCK"
        raise CredentialsError(
            f"Cannot use both a Bedrock API key ({where}) and AWS credentials "
            f"({', '.join(f'`{name}`' for name in explicit)}): choose one. Drop the key to "
            "sign with SigV4, or drop the AWS credentials to send the key."
        )
    if api_key is not None:
        return api_key, None
    source = CredentialSource(
        access_key=access_key, secret_key=secret_key, session_token=session_token, profile=profile
    )
    return None, source


def _env_key(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


class CredentialSource:
    """Hands out current AWS credentials for signing, refreshing them when botocore says so."""

    def __init__(
        self,
        *,
        access_key: str | None,
        secret_key: str | None,
        session_token: str | None,
        profile: str | None,
    ) -> None:
        if (access_key is None) != (secret_key is None):
            given, missing = (
                ("aws_access_key", "aws_secret_key")
                if secret_key is None
                else ("aws_secret_key", "aws_access_key")
            )
            raise CredentialsError(
                f"`{given}` was given without `{missing}`: pass both, or neither to use the "
                "default AWS credential chain (environment, ~/.aws/credentials, SSO, roles)."
            )
        self._static: Credentials | None = None
        if access_key is not None and secret_key is not None:
            self._static = Credentials(access_key, secret_key, session_token)
        self._profile = profile
        self._botocore_creds: Any = None
        self._lock = threading.Lock()
        self.method: str = "explicit" if self._static else "unresolved"

    def __repr__(self) -> str:
        return f"CredentialSource(method={self.method!r}, profile={self._profile!r})"

    def get(self) -> Credentials:
        """Current credentials; the chain is walked once, refreshable ones refresh themselves."""
        if self._static is not None:
            return self._static
        creds = self._botocore_creds
        if creds is None:
            with self._lock:
                if self._botocore_creds is None:
                    self._botocore_creds = self._load_chain()
                creds = self._botocore_creds
        try:
            frozen = creds.get_frozen_credentials()
        except Exception as exc:  # refresh failed: expired SSO token, role no longer assumable
            raise CredentialsError(
                f"AWS credentials from {self.method} could not be refreshed "
                f"({type(exc).__name__}). Renew them (e.g. `aws sso login`) and retry."
            ) from None
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def _load_chain(self) -> Any:
        import botocore.exceptions
        import botocore.session

        try:
            session = botocore.session.Session(profile=self._profile)
            creds = session.get_credentials()
        except botocore.exceptions.ProfileNotFound:
            raise CredentialsError(
                f"AWS profile {self._profile!r} was not found in ~/.aws/config or "
                "~/.aws/credentials. Check the name (`aws configure list-profiles`)."
            ) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise CredentialsError(
                f"The AWS credential chain failed: {type(exc).__name__}: {exc}"
            ) from None
        if creds is None:
            raise CredentialsError(
                "No AWS credentials found. Pass aws_access_key= and aws_secret_key=, set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, configure a profile "
                "(`aws configure`), or use a Bedrock API key (api_key= or "
                "AWS_BEARER_TOKEN_BEDROCK)."
            )
        self.method = str(getattr(creds, "method", "botocore chain"))
        return creds
