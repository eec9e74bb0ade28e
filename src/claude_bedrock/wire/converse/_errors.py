"""Neutral answers of the Converse layer: a violation (which rule, where, the value, the
limit), and the error that carries one out of a translation.

Neither says what to do about it: the client adds advice for its users (``send this call
with api="invoke"``), the emulator answers with Bedrock's wording when it is known
(:attr:`ConverseTranslationError.bedrock_message`) or with the plain description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ConverseTranslationError", "Rule", "Violation", "fail"]

#: The rules a Converse translation or conversation can break.
Rule = Literal[
    # translation (either direction)
    "invalid",  # malformed input: wrong type, not base64, not JSON, not a JSON pointer
    "no_equivalent",  # a value the other format has no slot for
    "unsupported_field",  # a Messages field with no Converse equivalent
    "unsupported_block",  # a Messages block type with no Converse equivalent
    "server_tool",  # a server tool in `tools` (no toolConfig equivalent)
    "parallel_tool_use",  # tool_choice.disable_parallel_tool_use
    "tool_choice_none",  # tool_choice {"type": "none"}
    "image_source",  # an image given by URL or file id (Converse takes bytes or S3)
    "cache_in_tool_result",  # cache_control on a block inside a tool result
    "document_name",  # a title Converse refuses as a document name
    "duplicate_document_name",  # two documents with the same name
    "conflicting_field",  # additionalModelRequestFields overriding a native field
    # conversation rules (checked by Bedrock before the model sees the request)
    "first_message_role",
    "system_role",
    "alternating_roles",
    "empty_content",
    "blank_text",
    "extra_tool_results",
    "missing_tool_results",
    "too_many_images",
    "image_too_large",
]


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule broken at ``field`` (Bedrock's dotted path, zero-based), with the offending
    ``value`` and the ``limit`` it broke when the rule has them."""

    rule: Rule
    field: str
    value: object = None
    limit: object = None


class ConverseTranslationError(ValueError):
    """A value does not translate: ``violation`` says which rule and where, ``detail``
    describes the problem in plain words (no advice), ``bedrock_message`` is Bedrock's own
    answer to the same request when its wording is known."""

    def __init__(
        self, detail: str, violation: Violation, *, bedrock_message: str | None = None
    ) -> None:
        super().__init__(f"{violation.field}: {detail}")
        self.detail = detail
        self.violation = violation
        self.bedrock_message = bedrock_message

    @property
    def field(self) -> str:
        return self.violation.field


def fail(
    detail: str,
    where: str,
    rule: Rule = "invalid",
    *,
    value: object = None,
    limit: object = None,
    bedrock_message: str | None = None,
) -> ConverseTranslationError:
    """The error for ``rule`` broken at ``where`` (to raise)."""
    violation = Violation(rule, where, value, limit)
    return ConverseTranslationError(detail, violation, bedrock_message=bedrock_message)
