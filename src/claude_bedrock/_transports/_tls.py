"""Which certificate authorities a client trusts: decided once per client, in AWS's order.

A client that only trusted certifi's bundle could not connect behind a TLS-inspecting
corporate proxy or to a private VPC endpoint signed by an in-house CA, where boto3 and the
AWS CLI can. So the SSL context of our own transports honours, first match wins:

1. ``verify=`` given to the client: ``False`` (no verification), a path to a CA bundle
   file or a directory of hashed certificates, or a ready ``ssl.SSLContext``. (With
   ``http_client=`` the user's ``httpx`` client decides, and this module is not used.)
2. ``AWS_CA_BUNDLE``, then ``ca_bundle`` in the selected AWS profile: botocore's
   convention, so one setting serves boto3, the AWS CLI and this client.
3. ``SSL_CERT_FILE``, then ``SSL_CERT_DIR``: what ``httpx`` (and OpenSSL) honour.
4. certifi's bundle, as ``httpx`` uses by default.

The context is built on the first HTTPS connection, not at construction, so that a client
of a plain-HTTP endpoint (the local emulator) never loads a bundle, and the profile (which
needs botocore) is read only when nothing before it answered.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable

import httpx

__all__ = ["TLSTrust", "TrustError", "Verify", "certificate_failure", "refused"]

Verify = bool | str | ssl.SSLContext

_HOW_TO_TRUST = (
    "Behind a TLS-inspecting proxy or for a private endpoint, name the CA that signed the "
    "server's certificate: verify='/path/to/ca.pem' (or an ssl.SSLContext) on the client, "
    "AWS_CA_BUNDLE or ca_bundle in the AWS profile, or SSL_CERT_FILE / SSL_CERT_DIR."
)


class TrustError(httpx.ConnectError):
    """TLS refused the server's certificate, or the CA bundle could not be loaded.

    Not retried: a second attempt meets the same certificate and the same bundle.
    """


def refused(exc: ssl.SSLError, trusted: str, advice: str = _HOW_TO_TRUST) -> TrustError:
    """The error for a certificate that ``trusted`` (where the CAs came from) refused."""
    reason = exc.verify_message if isinstance(exc, ssl.SSLCertVerificationError) else None
    return TrustError(
        f"The server's TLS certificate was refused ({reason or exc}); trusted here: {trusted}. "
        + advice
    )


def certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (httpx chains it), if any."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class TLSTrust:
    """The SSL context of one client's own transports, built once on first use."""

    __slots__ = ("_context", "_lock", "_profile_bundle", "_verify", "source")

    def __init__(
        self,
        verify: Verify | None = None,
        profile_bundle: Callable[[], str | None] | None = None,
    ) -> None:
        """``profile_bundle``: reads ``ca_bundle`` of the client's AWS profile (called at
        most once, and only when ``verify=`` and ``AWS_CA_BUNDLE`` left it open)."""
        self._verify = None if verify is True else verify
        self._profile_bundle = profile_bundle
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        #: Where the trusted CAs came from (set when the context is built), for messages.
        self.source = "not decided yet"

    def context(self) -> ssl.SSLContext:
        """The client's SSL context (raises :class:`TrustError` if a bundle cannot load)."""
        if self._context is None:
            with self._lock:  # two threads' first requests: still one context
                self._context = self._context or self._build()
        return self._context

    def refused(self, exc: ssl.SSLError) -> TrustError:
        return refused(exc, self.source)

    def _build(self) -> ssl.SSLContext:
        self.source, location = self._locate()
        if isinstance(location, ssl.SSLContext):
            return location
        if location is False:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        assert isinstance(location, str)
        try:
            if os.path.isdir(location):
                return ssl.create_default_context(capath=location)
            return ssl.create_default_context(cafile=location)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise TrustError(
                f"Could not load the CA certificates of {self.source}: "
                f"{type(exc).__name__}: {exc}. Point it at a readable PEM bundle."
            ) from None

    def _locate(self) -> tuple[str, str | ssl.SSLContext | bool]:
        """``(where from, what)``: the first source in the order of the module docstring."""
        verify = self._verify
        if isinstance(verify, ssl.SSLContext):
            return "the ssl.SSLContext given as verify=", verify
        if verify is False:
            return "nothing (verify=False)", False
        if isinstance(verify, str):
            return f"verify={verify!r}", verify
        path = os.environ.get("AWS_CA_BUNDLE")
        if path:
            return f"AWS_CA_BUNDLE={path!r}", path
        path = self._profile_bundle() if self._profile_bundle is not None else None
        if path:
            return f"ca_bundle={path!r} of the AWS profile", path
        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            path = os.environ.get(name)
            if path:
                return f"{name}={path!r}", path
        import certifi  # httpx's default bundle

        return f"certifi's bundle ({certifi.where()}), as none of these is set", certifi.where()
