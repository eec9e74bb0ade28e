"""Bedrock's request rules for Claude as data: the typed loader of ``bedrock_rules.json``.

The table (issue 16) records, per rule, the surfaces and models it applies to, Bedrock's
error (status, type, wording and how sure we are of it), its public sources, a confidence
mark and a refused (``bad``) and an accepted (``good``) example. Code that enforces a rule
(the emulator's registry) or fails early (the client, on certain rules only) reads the facts
from here, so that a new source changes the data, not an if-chain.

Model scopes are evaluated against *facts*, a flat mapping of catalogue fields
(``thinking.refuses``, ``thinking.sampling``, ``lifecycle``, ``surfaces``, ...), so this
neutral layer never imports the catalogue itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final, Literal

__all__ = [
    "MODEL_ERROR_PREFIX",
    "SURFACES",
    "CataloguePredicate",
    "ModelScope",
    "RequestRule",
    "RuleError",
    "RuleTable",
    "load_rules",
]

#: Every surface a rule may name (bedrock-runtime's operations and the two Messages APIs).
SURFACES: Final = (
    "invoke",
    "invoke-stream",
    "converse",
    "converse-stream",
    "count-tokens",
    "mantle",
    "runtime-messages",
)
#: How Converse passes on an error the model side raised (seen in many public reports).
MODEL_ERROR_PREFIX: Final = "The model returned the following errors: "

Confidence = Literal["H", "M", "L"]
Enforcement = Literal["enforced", "pre-table", "not-enforced", "history"]


@dataclass(frozen=True)
class CataloguePredicate:
    """One test on a catalogue fact: ``contains``, ``not_contains``, ``equals``, ``before``."""

    field: str
    op: str
    value: object

    def holds(self, facts: Mapping[str, object]) -> bool:
        """Whether the model described by ``facts`` satisfies this predicate."""
        fact = facts.get(self.field)
        if self.op == "equals":
            if isinstance(self.value, list) and isinstance(fact, (list, tuple, frozenset, set)):
                return sorted(map(str, fact)) == sorted(map(str, self.value))
            return fact == self.value
        if self.op in ("contains", "not_contains"):
            inside = isinstance(fact, (list, tuple, frozenset, set)) and self.value in fact
            return inside if self.op == "contains" else not inside
        if self.op == "before":
            return fact is not None and str(fact) < str(self.value)
        raise ValueError(f"unknown predicate op {self.op!r}")


@dataclass(frozen=True)
class ModelScope:
    """The models a rule applies to: all, listed base IDs, or catalogue predicates (any)."""

    all: bool
    ids: frozenset[str]
    catalogue: tuple[CataloguePredicate, ...]
    text: str

    def matches(self, model_id: str, facts: Mapping[str, object]) -> bool:
        """Whether the rule applies to the catalogue model ``model_id`` with ``facts``."""
        if self.all or model_id in self.ids:
            return True
        return any(predicate.holds(facts) for predicate in self.catalogue)


@dataclass(frozen=True)
class RuleError:
    """Bedrock's answer: status, exception type and wording.

    ``quoted`` is the text as the first source shows it (Converse prefix included when it was
    seen on Converse); ``template`` the bare text with ``{placeholders}`` for concrete parts.
    ``model_error``: the model side raises it, so Converse prefixes :data:`MODEL_ERROR_PREFIX`.
    """

    status: int
    type: str
    quoted: str | None
    message: str | None
    template: str | None
    wording: str | None
    model_error: bool
    #: The concrete parts of ``quoted`` and of the table's ``bad`` example (for the tests).
    values_quoted: Mapping[str, object]
    values_bad: Mapping[str, object]
    #: The surfaces where the quoted wording holds (the sources saw it there); on the rule's
    #: other surfaces the error's status and type are known, the text is not. All the rule's
    #: surfaces unless the table says ``verbatim_on``.
    verbatim_on: frozenset[str] = frozenset(SURFACES)

    def render(self, surface: str, values: Mapping[str, object] | None = None) -> str:
        """The message a surface answers (a neutral text when the wording is unknown)."""
        text = (self.template or "").format(**(values or {})) or "Invalid request."
        if self.model_error and surface in ("converse", "converse-stream"):
            return MODEL_ERROR_PREFIX + text
        return text


@dataclass(frozen=True)
class RequestRule:
    """One rule of the table (see the module docstring)."""

    id: str
    summary: str
    when: str
    surfaces: frozenset[str]
    models: ModelScope
    error: RuleError
    sources: tuple[Mapping[str, Any], ...]
    confidence: Confidence
    enforcement: Enforcement
    bad: Mapping[str, Any]
    good: Mapping[str, Any]
    notes: str

    @property
    def certain(self) -> bool:
        """Marked H: the only rules a client may fail early on, and kept under ``--lenient``."""
        return self.confidence == "H"


@dataclass(frozen=True)
class RuleTable:
    """The loaded table, by ID and in file order."""

    rules: tuple[RequestRule, ...]
    as_of: str

    def __iter__(self) -> Iterator[RequestRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> RequestRule:
        """The rule ``rule_id`` (KeyError when the table has none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _rule(raw: Mapping[str, Any]) -> RequestRule:
    scope = raw["models"]
    err = raw["error"]
    surfaces = frozenset(raw["surfaces"])
    unknown = surfaces - set(SURFACES)
    if unknown:
        raise ValueError(f"rule {raw['id']}: unknown surfaces {sorted(unknown)}")
    return RequestRule(
        id=raw["id"],
        summary=raw["summary"],
        when=raw["when"],
        surfaces=surfaces,
        models=ModelScope(
            all=bool(scope["all"]),
            ids=frozenset(scope["ids"]),
            catalogue=tuple(CataloguePredicate(**p) for p in scope["catalogue"]),
            text=scope["text"],
        ),
        error=RuleError(
            status=int(err["status"]),
            type=err["type"],
            quoted=err["quoted"],
            message=err["message"],
            template=err["template"],
            wording=err["wording"],
            model_error=bool(err["model_error"]),
            values_quoted=err.get("values_quoted") or {},
            values_bad=err.get("values_bad") or {},
            verbatim_on=frozenset(err.get("verbatim_on", surfaces)),
        ),
        sources=tuple(raw["sources"]),
        confidence=raw["confidence"],
        enforcement=raw["enforcement"],
        bad=raw["bad"],
        good=raw["good"],
        notes=raw["notes"],
    )


@lru_cache(maxsize=1)
def load_rules() -> RuleTable:
    """The packaged table (read once)."""
    text = resources.files(__package__).joinpath("bedrock_rules.json").read_text("utf-8")
    doc = json.loads(text)
    rules = tuple(_rule(raw) for raw in doc["rules"])
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate rule IDs in bedrock_rules.json")
    return RuleTable(rules=rules, as_of=doc["as_of"])
