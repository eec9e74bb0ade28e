"""``with_raw_response`` and ``with_streaming_response`` on every resource, written once.

:class:`RawResponses` is a base of every resource class (``client.messages``,
``messages.batches``, ``client.models``, ``client.converse``, ``invocation_logging``, and any
subclass such as ``BetaMessages``), so a new resource has both for free. Each is a proxy
over the resource's public methods (and its sub-resources, e.g.
``messages.with_raw_response.batches.list()``): calling a method through it runs the very
same method on a copy of the resource bound to a throwaway view of the client, whose sender
is a :class:`~._hooked.HookedSyncSender` with a :class:`~._hooked.Record`. The plain call
path is untouched.

* ``with_raw_response.create(...)`` runs the call to the end and returns an
  :class:`~.._response.APIResponse` over the call's last HTTP response (its body read, as
  the SDK's), whose ``parse()`` is what the plain call returned.
* ``with_streaming_response.create(...)`` is a context manager: entering it sends the
  request and stops at the first answer under 400 with its body unread (``iter_bytes()``,
  ``iter_lines()``...); ``parse()`` resumes the call, which reads the body and returns what
  the plain call returns; leaving the block without parsing closes the response and
  abandons the call. The paused call waits in a worker thread (blocking clients) or an
  asyncio task (async clients), so it runs exactly once. A method that makes several
  requests (``models.refresh``, ``batches.create``) pauses at its first one.

Errors are raised as by the plain call (a 4xx is the same typed exception, after retries).
"""

from __future__ import annotations

from typing import Any

__all__ = ["RawResponses"]


class RawResponses:
    """Base of every resource class: ``with_raw_response`` / ``with_streaming_response``."""

    @property
    def with_raw_response(self) -> Any:
        """Each method returns an ``APIResponse`` (``.headers``, ``.status_code``,
        ``.request_id``, ``.parse()``...) instead of its result."""
        from ._raw_proxy import Proxy

        return Proxy(self, streaming=False)

    @property
    def with_streaming_response(self) -> Any:
        """Each method returns a context manager over an ``APIResponse`` whose body is read
        lazily (``iter_bytes()``, ``iter_lines()``, ``parse()``)."""
        from ._raw_proxy import Proxy

        return Proxy(self, streaming=True)
