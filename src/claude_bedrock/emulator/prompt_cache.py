"""Prompt-cache accounting for the emulator (``cache_control`` breakpoints).

Mirrors the documented behaviour: the prompt prefix up to each breakpoint (tools, then
system, then messages) is written on first use (``cache_creation_input_tokens``) and read
by later requests with the same prefix within its TTL (``cache_read_input_tokens``, which
also refreshes the TTL). The longest prefix already cached is read; the rest up to the
last breakpoint is written. Nothing is cached below ``min_tokens``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .tokens import Segment

__all__ = ["CacheUsage", "PromptCache"]

_DEFAULT_TTL = 300.0
_LONG_TTL = 3600.0


@dataclass(frozen=True, slots=True)
class CacheUsage:
    read: int = 0
    written: int = 0


class PromptCache:
    """Prefix hashes with expiry; bounded (oldest entries are evicted first)."""

    def __init__(
        self,
        *,
        min_tokens: int = 0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_tokens = min_tokens
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def account(self, segments: list[Segment], namespace: str) -> CacheUsage:
        """Cache usage of a prompt; ``namespace`` separates models and accounts."""
        breakpoints = [i for i, segment in enumerate(segments) if segment.cached]
        if not breakpoints:
            return CacheUsage()
        running = 0
        prefix_tokens: dict[int, int] = {}
        hasher = hashlib.sha256(namespace.encode())
        keys: dict[int, str] = {}
        last = breakpoints[-1]
        for index, segment in enumerate(segments[: last + 1]):
            running += segment.tokens
            hasher.update(_canonical(segment.item))
            if segment.cached:
                prefix_tokens[index] = running
                keys[index] = hasher.copy().hexdigest()
        eligible = [i for i in breakpoints if prefix_tokens[i] >= self.min_tokens]
        if not eligible:
            return CacheUsage()
        now = self._clock()
        with self._lock:
            read = 0
            for index in reversed(eligible):
                expiry = self._entries.get(keys[index])
                if expiry is not None and expiry > now:
                    read = prefix_tokens[index]
                    break
            for index in eligible:
                ttl = _ttl(segments[index].item)
                self._entries[keys[index]] = now + ttl
                self._entries.move_to_end(keys[index])
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return CacheUsage(read=read, written=prefix_tokens[eligible[-1]] - read)


def _ttl(item: Any) -> float:
    control = item.get("cache_control") if isinstance(item, Mapping) else None
    if isinstance(control, Mapping) and control.get("ttl") == "1h":
        return _LONG_TTL
    return _DEFAULT_TTL


def _canonical(item: Any) -> bytes:
    if isinstance(item, Mapping) and "cache_control" in item:
        item = {k: v for k, v in item.items() if k != "cache_control"}
    return json.dumps(item, sort_keys=True, separators=(",", ":"), default=str).encode()
