"""What the official SDK's clients offer besides their resources: the public attributes
(:class:`SDKAttributes`) and ``client.copy(...)`` / ``client.with_options(...)``, a new client
from an old one's arguments.

Copies follow the official SDK's rules (``anthropic/lib/_platform_client.py``), so code
written for it behaves the same:

* every constructor argument carries over; an AWS or key argument given replaces the old
  one only if truthy (``aws_region or self.aws_region``, the SDK's ``or``);
* ``timeout`` and ``max_retries`` replace the old values when given (``NOT_GIVEN`` by
  default, since ``None`` and ``0`` mean something; ``timeout=None`` is our constructor's
  default timeout, where the SDK's means none);
* ``default_headers`` / ``default_query`` are merged over the old ones (a header name
  matched whatever its case); ``set_default_headers`` / ``set_default_query`` replace
  them; passing both of a pair is refused;
* the copy sends through the original's connection pool unless ``http_client=`` (or our
  ``transport=`` / ``verify=``) gives it another, as the SDK shares its ``httpx`` client.

One difference, on purpose: closing a copy that shares the original's pool does not close
that pool (the SDK's ``copy().close()`` closes the shared ``httpx`` client, so the
original stops working). The pool belongs to the client that opened it; closing the
original closes it for every copy. Nothing of the original is changed by a copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import httpx

from ._request_core import USER_AGENT

if TYPE_CHECKING:
    from ._client import _ClientBase
    from ._request_core import RequestCore

__all__ = ["NOT_GIVEN", "NotGivenType", "SDKAttributes", "copy_client"]

C = TypeVar("C", bound="_ClientBase")

#: Arguments replaced only by a truthy value (the SDK's ``x or self.x``).
_OR_ARGUMENTS: Final = (
    "aws_secret_key", "aws_access_key", "aws_region", "aws_profile", "aws_session_token",
    "api_key", "base_url",
)  # fmt: skip
#: Those that decide authentication: the copy reuses the original's credentials (and their
#: cache) unless one of them changes.
_AUTH_ARGUMENTS: Final = (*_OR_ARGUMENTS[:2], "aws_profile", "aws_session_token", "api_key")
#: Options of ours that choose a connection pool: given to a copy, it opens its own.
_POOL_OPTIONS: Final = ("transport", "verify")


class SDKAttributes:
    """The official SDK client's public attributes, with its names and meanings: the AWS
    arguments as given, the resolved Region, key, URL, timeout and retries."""

    _core: RequestCore
    #: The constructor's arguments, as given (``copy`` starts from them).
    _args: dict[str, Any]

    @property
    def api_key(self) -> str | None:
        """The Bedrock API key in use (argument or environment), else ``None`` (SigV4)."""
        return self._core.api_key

    @property
    def aws_access_key(self) -> str | None:
        return cast("str | None", self._args["aws_access_key"])

    @property
    def aws_secret_key(self) -> str | None:
        return cast("str | None", self._args["aws_secret_key"])

    @property
    def aws_session_token(self) -> str | None:
        return cast("str | None", self._args["aws_session_token"])

    @property
    def aws_profile(self) -> str | None:
        return cast("str | None", self._args["aws_profile"])

    @property
    def aws_region(self) -> str:
        return self._core.aws_region

    @property
    def base_url(self) -> str:
        """The runtime host's URL (a ``str`` without the SDK ``httpx.URL``'s trailing ``/``)."""
        return self._core.endpoints.runtime

    @property
    def control_plane_url(self) -> str:
        return self._core.endpoints.control

    @property
    def max_retries(self) -> int:
        return self._core.max_retries

    @property
    def timeout(self) -> httpx.Timeout:
        return self._core.timeout

    @property
    def retry_deadline(self) -> float:
        return self._core.retry_deadline

    @property
    def user_agent(self) -> str:
        """The ``User-Agent`` every request sends."""
        return USER_AGENT

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers every request starts from (then signing adds its own): as the SDK's
        ``default_headers``, the JSON types, the user agent and ``default_headers=``."""
        custom = cast("Mapping[str, str] | None", self._args["default_headers"]) or {}
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **custom,
        }

    @property
    def open_telemetry(self) -> dict[str, Any]:
        """The ``open_telemetry`` option with every field (the SDK's; see :mod:`._tracing`)."""
        from ._tracing import resolve

        return resolve(self._args["open_telemetry"])

    @property
    def default_query(self) -> dict[str, object]:
        """Query parameters every request carries (``default_query=``)."""
        return dict(cast("Mapping[str, object] | None", self._args["default_query"]) or {})


class NotGivenType:
    """``copy()``'s "argument not given", where ``None`` means something (``timeout``)."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGivenType()


def _given(value: object) -> bool:
    """Not ours nor the official SDK's placeholder (``anthropic.NOT_GIVEN``, ``omit``)."""
    return not isinstance(value, NotGivenType) and type(value).__name__ not in ("NotGiven", "Omit")


def _merged(old: Mapping[str, Any] | None, new: Mapping[str, Any], *, fold: bool) -> dict[str, Any]:
    """``new`` over ``old``; a header name (``fold``) replaces the same name in any case,
    and a placeholder value (the SDK's ``Omit``) removes it, as the SDK's ``merge_headers``."""
    merged = dict(old or {})
    for name, value in new.items():
        if fold:
            for existing in [k for k in merged if k.lower() == name.lower()]:
                del merged[existing]
        if _given(value):
            merged[name] = value
        else:
            merged.pop(name, None)
    return merged


def copy_arguments(client: _ClientBase, given: Mapping[str, Any]) -> dict[str, Any]:
    """The copy's constructor arguments: ``client``'s, with ``given`` (``copy``'s locals)."""
    args = dict(client._args)
    for name in _OR_ARGUMENTS:
        if given.get(name):
            args[name] = given[name]
    if "skip_auth" in given and given["skip_auth"] is not None:
        args["skip_auth"] = given["skip_auth"]
    for name in ("timeout", "max_retries", "middleware"):
        if _given(given[name]):
            args[name] = given[name]
    if given["open_telemetry"] is not None:  # the SDK's: None keeps the original's
        args["open_telemetry"] = given["open_telemetry"]
    for kind, fold in (("headers", True), ("query", False)):
        add, replace = given[f"default_{kind}"], given[f"set_default_{kind}"]
        if add is not None and replace is not None:
            raise ValueError(
                f"The `default_{kind}` and `set_default_{kind}` arguments are mutually exclusive"
            )
        if add is not None:
            args[f"default_{kind}"] = _merged(args[f"default_{kind}"], add, fold=fold)
        elif replace is not None:
            args[f"default_{kind}"] = dict(replace)
    return args


def copy_client(client: C, given: Mapping[str, Any], options: Mapping[str, Any]) -> C:
    """A new client of ``client``'s class (see the module docstring); ``client`` unchanged."""
    args = copy_arguments(client, given)
    http_client = given["http_client"]
    own_pool = http_client is not None or any(name in options for name in _POOL_OPTIONS)
    if own_pool:  # the new pool replaces every way of choosing the old one
        for name in ("http_client", *_POOL_OPTIONS):
            args.pop(name, None)
        if http_client is not None:
            args["http_client"] = http_client
    args.update(options)
    copied = type(client).__new__(type(client))
    if not own_pool:
        copied._pool_owner = client._pool_owner or client
    copied.__init__(**args)  # type: ignore[misc]
    core, old = copied._core, client._core
    if not any(given.get(name) for name in _AUTH_ARGUMENTS) and given.get("skip_auth") is None:
        core._api_key, core._credentials = old._api_key, old._credentials
    core._catalog = old._catalog
    return copied
