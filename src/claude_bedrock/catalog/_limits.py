"""The catalogue's ``limits`` (PDFs and documents, batch inference) as typed values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from ._types import BatchLimits, PdfLimits

_T = TypeVar("_T")


class _MalformedValue(ValueError):
    """A limit's value cannot be converted (the loader reports it as CatalogDataError)."""


def _field(raw: Mapping[str, Any], key: str, kind: Callable[[Any], _T]) -> _T:
    """``raw[key]`` converted by ``kind``; the error names the key when it cannot be."""
    if key not in raw:
        raise KeyError(key)
    try:
        return kind(raw[key])
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _MalformedValue(f"{key!r} has a malformed value {raw[key]!r}") from exc


def _pdf_limits(raw: Mapping[str, Any]) -> PdfLimits:
    ints = {
        key: _field(raw, key, int)
        for key in (
            "max_pages", "invoke_max_body_bytes", "converse_max_documents",
            "converse_max_document_bytes", "converse_max_images", "converse_max_image_bytes",
            "converse_max_image_pixels", "document_name_min_length", "document_name_max_length",
        )
    }  # fmt: skip
    return PdfLimits(
        **ints,
        converse_document_needs_text_block=_field(raw, "converse_document_needs_text_block", bool),
        converse_visual_pdf_needs_citations=_field(
            raw, "converse_visual_pdf_needs_citations", bool
        ),
        document_formats=_field(raw, "document_formats", tuple),
        document_name_pattern=_field(raw, "document_name_pattern", str),
        document_name_rule=_field(raw, "document_name_rule", str),
        sources=_sources_of(raw),
    )


def _batch_limits(raw: Mapping[str, Any]) -> BatchLimits:
    ints = {
        key: _field(raw, key, int)
        for key in (
            "min_records_per_job", "max_records_per_job", "max_records_per_file",
            "max_input_file_bytes", "max_job_bytes", "timeout_hours_min", "timeout_hours_max",
            "timeout_hours_default",
        )
    }  # fmt: skip
    return BatchLimits(
        **ints,
        input_extension=_field(raw, "input_extension", str),
        price_factor=_field(raw, "price_factor", lambda v: Decimal(str(v))),
        sources=_sources_of(raw),
    )


def _sources_of(raw: Mapping[str, Any]) -> tuple[str, ...]:
    found = {str(v) for k, v in raw.items() if k.endswith("source")}
    return tuple(sorted(found))
