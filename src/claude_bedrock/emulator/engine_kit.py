"""Writing and plugging in engines: the helpers a custom :class:`~.engine.Engine` needs.

The interface itself is documented in :mod:`.engine`. A custom engine usually decides only
*what* to say; :func:`build_message` then turns its content blocks into the complete
``Message`` the emulator expects, exactly as the default engine does (``max_tokens`` and
``stop_sequences`` applied, usage counted with :mod:`.tokens`), and
:func:`~.engine.message_to_events` gives the stream of the same answer::

    class Canned:
        name = "canned"

        def respond(self, request, model):
            text = ANSWERS.get(last_user_text(request), "I don't know.")
            return build_message(request, model, [{"type": "text", "text": text}])

        def stream_events(self, request, model):
            return message_to_events(self.respond(request, model))

:func:`load_engine` resolves the ``module:factory`` (or ``path/to/file.py:factory``) specs
that ``claude-bedrock serve --engine`` and ``Emulator(engine="...")`` take.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import tokens
from .engine import Engine, _apply_limits, _last_user, new_message_id
from .tool_loop import text_of

__all__ = ["build_message", "last_user_text", "load_engine"]


def last_user_text(request: Mapping[str, Any]) -> str:
    """The text of the request's last user message (its text blocks joined), or ``""``."""
    return text_of(_last_user(request).get("content"))


def build_message(
    request: Mapping[str, Any], model: str, content: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The complete Anthropic ``Message`` answering ``request`` with ``content``.

    ``content`` is the answer *before* limits (text, ``tool_use``, ``thinking`` blocks):
    text is cut at the first of ``stop_sequences`` (``stop_reason`` ``stop_sequence``) and
    everything at ``max_tokens`` (``max_tokens``); otherwise ``stop_reason`` is
    ``tool_use`` when the last block is one, else ``end_turn``. Usage is the emulator's
    count (:mod:`.tokens`): the whole request as input (no prompt-cache accounting, which
    only the default engine keeps), the kept blocks as output.
    """
    kept, stop_reason, stop_sequence = _apply_limits(request, [dict(b) for b in content])
    return {
        "id": new_message_id(),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": kept,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": {
            "input_tokens": tokens.count_input_tokens(request),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": sum(tokens.count_block(block) for block in kept),
        },
    }


def load_engine(spec: str | Engine) -> Engine:
    """The engine ``spec`` names: ``"module:attr"`` or ``"path/to/file.py:attr"``.

    ``attr`` may be an engine instance, a class, or a factory taking no argument (called
    once, at start-up); without ``:attr`` the module's ``make_engine`` is used. Raises
    ``ValueError`` (bad spec, missing file or attribute) or ``TypeError`` (the result has
    no ``respond``/``stream_events``).
    """
    if not isinstance(spec, str):
        return spec
    where, _, attr = spec.rpartition(":") if ":" in spec else (spec, "", "")
    target = getattr(_module(where), attr or "make_engine", None)
    if target is None:
        raise ValueError(f"engine {spec!r}: {where} has no attribute {attr or 'make_engine'!r}")
    factory = isinstance(target, type) or (callable(target) and not isinstance(target, Engine))
    engine = target() if factory else target
    if isinstance(engine, type) or not isinstance(engine, Engine):
        raise TypeError(f"engine {spec!r} has no respond() and stream_events() methods")
    return engine


def _module(where: str) -> Any:
    """A module by dotted name, or loaded from a ``.py`` file path."""
    if not where.endswith(".py"):
        try:
            return importlib.import_module(where)
        except ImportError as exc:
            raise ValueError(f"engine module {where!r} cannot be imported: {exc}") from None
    path = Path(where)
    if not path.is_file():
        raise ValueError(f"engine file {where!r} does not exist")
    name = f"_claude_bedrock_engine_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"engine file {where!r} cannot be loaded")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    module_spec.loader.exec_module(module)
    return module
