"""The request-rule table, rule by rule and surface by surface, through real clients.

For every rule the emulator enforces and every surface the rule lists, the table's ``bad``
example is refused with Bedrock's status, type and (when the table says the wording is
verbatim) the text quoted from the public source, and the ``good`` example is accepted.
The expected text is built from ``error.quoted`` (the source's words), never from the
emulator's code: the template is only used to move the concrete parts (an index, a count)
from the quoted request to the table's example, and it is checked against the quote first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import pytest

from claude_bedrock.emulator import Emulator
from claude_bedrock.emulator.rule_checks import CHECKS, EXISTING, PRE_TABLE
from claude_bedrock.wire.rules.request_rules import MODEL_ERROR_PREFIX, RequestRule, load_rules

from .rules_harness import (
    Surfaces,
    build_placeholders,
    example_body,
    served_on,
    still_placeholder,
)

TABLE = load_rules()
_RUNTIME = ("invoke", "invoke-stream", "converse", "converse-stream", "count-tokens")
#: Rules about the model ID itself: their examples' IDs are sent exactly as written (the
#: harness otherwise sends a profile form the catalogue serves on the surface).
MODEL_ID_RULES = frozenset(
    {
        "model_id.on_demand_not_supported",
        "model_id.pattern",
        "surface.model_not_on_runtime",
        "count_tokens.model_not_supported",
        "runtime_messages.bare_model_id",
        "mantle.model_not_found",
    }
)
#: The Anthropic envelope's type for a Bedrock error on the Messages API surfaces, by status.
_ENVELOPE: Final = {400: "invalid_request_error", 404: "not_found_error"}
#: Errors AWS's front door answers before the Messages API runs: plain, not in the envelope.
_FRONT_DOOR: Final = ("UnknownOperationException",)


def untestable(rule: RequestRule, surface: str, side: str) -> str | None:
    """Why an example cannot be sent on ``surface`` (None: it can)."""
    example = rule.bad if side == "bad" else rule.good
    model = example.get("model") or (example.get("messages") or {}).get("model") or ""
    as_is = rule.id in MODEL_ID_RULES and side == "bad"
    if not as_is and not served_on(model, surface):
        return f"the example's model {model!r} is not served on {surface}"
    body = example_body(dict(example), surface)
    if body is None:
        return f"the example has no {surface} form"
    if still_placeholder(build_placeholders(body)):
        return "the example needs a body the harness cannot build (placeholder)"
    return None


def _cases() -> Iterator[Any]:
    """Every enforced rule on every surface it lists, both sides, where the example can be
    sent there. A pair that cannot run is not collected: the example's model is not served
    on that surface, or the example has no form for it (a Converse-only field on
    InvokeModel...). Those are gaps in the examples, not in the rule;
    :func:`test_every_enforced_rule_has_a_check_and_a_test` requires at least one runnable
    surface per rule and side."""
    for rule in TABLE:
        if rule.enforcement != "enforced":
            continue
        for surface in sorted(rule.surfaces):
            for side in ("bad", "good"):
                if untestable(rule, surface, side) is None:
                    yield pytest.param(rule, surface, side, id=f"{rule.id}-{surface}-{side}")


@pytest.fixture(scope="module")
def surfaces(bedrock_emulator: Emulator) -> Iterator[Surfaces]:
    clients = Surfaces(bedrock_emulator)
    yield clients
    clients.close()


def expected_message(rule: RequestRule, surface: str) -> str:
    """Bedrock's text for the table's bad example, from the quote in the source."""
    quoted = rule.error.quoted or ""
    bare = quoted.removeprefix(MODEL_ERROR_PREFIX)
    if rule.error.values_quoted != rule.error.values_bad:
        assert rule.error.template is not None
        assert rule.error.template.format(**rule.error.values_quoted) == bare  # the quote
        bare = rule.error.template.format(**rule.error.values_bad)
    if surface in ("converse", "converse-stream") and rule.error.model_error:
        return MODEL_ERROR_PREFIX + bare
    return bare


@pytest.mark.parametrize(("rule", "surface", "side"), list(_cases()))
def test_rule_on_surface(rule: RequestRule, surface: str, side: str, surfaces: Surfaces) -> None:
    example = dict(rule.bad if side == "bad" else rule.good)
    body = build_placeholders(example_body(example, surface))
    assert body is not None
    model = example.get("model") or (example.get("messages") or {}).get("model")
    outcome = surfaces.send(
        surface,
        model,
        body,
        checked=side == "good",  # bad ones must be refused by the server, not by botocore
        model_as_is=rule.id in MODEL_ID_RULES and side == "bad",
        headers=example.get("headers"),
        path=example.get("path"),
    )
    if side == "good":
        assert outcome.ok, outcome
        return
    assert not outcome.ok, "the emulator accepted the bad example"
    assert outcome.status == rule.error.status
    if surface in _RUNTIME or rule.error.type in _FRONT_DOOR:
        assert outcome.type == rule.error.type  # the runtime's (or its front door's) type
    elif rule.error.type.endswith("_error"):
        assert outcome.type == rule.error.type  # the table names the envelope's type
    else:
        assert outcome.type == _ENVELOPE[rule.error.status]
    if rule.error.wording == "verbatim" and surface in rule.error.verbatim_on:
        assert outcome.message == expected_message(rule, surface)


def test_every_rule_has_a_source_and_examples() -> None:
    for rule in TABLE:
        assert rule.sources, rule.id
        assert all(source.get("url") or source.get("where") for source in rule.sources), rule.id
        assert rule.bad and rule.good, rule.id
        assert rule.confidence in ("H", "M", "L"), rule.id
        assert rule.error.verbatim_on <= rule.surfaces, rule.id  # a quote seen where it applies


def test_every_enforced_rule_has_a_check_and_a_test() -> None:
    """A rule marked enforced needs a check (or a pre-table one) and a runnable example on
    at least one of its surfaces for both sides; a registered check needs an enforced rule."""
    for rule in TABLE:
        if rule.enforcement != "enforced":
            continue
        assert rule.id in CHECKS or rule.id in EXISTING, rule.id
        for side in ("bad", "good"):
            runnable = [s for s in rule.surfaces if untestable(rule, s, side) is None]
            assert runnable, f"{rule.id}: no surface can run its {side} example"
    enforced = {rule.id for rule in TABLE if rule.enforcement == "enforced"}
    assert set(CHECKS) <= enforced
    assert set(EXISTING) <= enforced
    pre_table = {rule.id for rule in TABLE if rule.enforcement == "pre-table"}
    assert pre_table == set(PRE_TABLE)


def test_history_rules_are_never_enforced() -> None:
    history = [rule.id for rule in TABLE if rule.enforcement == "history"]
    assert sorted(history) == [
        "converse.tool_result_and_text_same_turn",
        "surface.sonnet5_not_on_invoke_converse",
    ]
    assert not set(history) & (set(CHECKS) | set(EXISTING) | set(PRE_TABLE))


def test_lenient_turns_off_the_uncertain_rules_only() -> None:
    """``Emulator(lenient=True)``: an M rule's bad example is accepted, an H rule's refused."""
    uncertain = TABLE.get("sampling.top_p_deprecated")  # M
    certain = TABLE.get("sampling.temperature_deprecated")  # H
    assert (uncertain.confidence, certain.confidence) == ("M", "H")
    with Emulator(lenient=True) as lenient:
        clients = Surfaces(lenient)
        try:
            model = uncertain.bad["model"]
            assert clients.send("invoke", model, dict(uncertain.bad["invoke"])).ok
            refused = clients.send("invoke", certain.bad["model"], dict(certain.bad["invoke"]))
            assert (refused.ok, refused.status) == (False, 400)
            older = TABLE.get("messages.alternating_roles.invoke")  # L, checked before the table
            assert older.confidence == "L"
            assert clients.send("invoke", older.bad["model"], dict(older.bad["invoke"])).ok
            many = TABLE.get("images.too_many")  # M, a Converse conversation rule
            assert many.confidence == "M"
            body = build_placeholders(example_body(dict(many.bad), "converse"))
            assert clients.send("converse", many.bad["model"], body).ok
            version = TABLE.get("version.2026_10_21_on_older_models")  # L, a header check
            body = example_body(dict(version.bad), "mantle")
            assert body is not None
            assert clients.send("mantle", "", body, headers=version.bad["headers"]).ok
            schema = TABLE.get("output_config.format_refused")  # M, mantle's older check
            assert schema.confidence == "M"
            body = example_body(dict(schema.bad), "mantle")
            assert body is not None
            assert clients.send("mantle", "", body).ok
            long = TABLE.get("context.prompt_too_long")  # M, the context window
            for surface in ("invoke", "converse", "runtime-messages"):
                body = build_placeholders(example_body(dict(long.bad), surface))
                assert clients.send(surface, long.bad["model"], body).ok, surface
        finally:
            clients.close()
