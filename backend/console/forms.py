"""What a console form shows when the service refuses its values: a message beside the field
it is about, or one above the form (`FormFailure`), from a msgspec validation error (the field
named in its path) or a domain's `AppError` (the field the page maps it to)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import msgspec
from litestar.datastructures import FormMultiDict

from backend.errors import AppError

_AT_FIELD = re.compile(r"at `\$\.(\w+)")


@dataclass(frozen=True)
class FormFailure:
    errors: dict[str, str] | None
    """Messages by field, shown beside it."""
    problem: str | None
    """A message about the whole form, shown above it."""
    status: int


def form_failure(
    error: msgspec.ValidationError | AppError,
    language: str,
    *,
    messages: Mapping[str, tuple[str, str]],
    field_of: Callable[[AppError], str | None],
    aliases: Mapping[str, str] | None = None,
    fallback: str = "title",
) -> FormFailure:
    """`messages`: (Vietnamese, English) per field for values that fail validation;
    `aliases`: field names of the validated structure shown under another form field;
    `field_of`: the form field a domain error belongs to (None: about the whole form)."""
    if isinstance(error, msgspec.ValidationError):
        found = _AT_FIELD.search(str(error))
        field = found.group(1) if found else fallback
        field = (aliases or {}).get(field, field)
        vi, en = messages.get(field, messages[fallback])
        return FormFailure({field: en if language == "en" else vi}, None, 422)
    at = field_of(error)
    detail = error.detail(language)
    return FormFailure({at: detail} if at else None, None if at else detail, error.status)


def form_text(form: FormMultiDict, name: str) -> str:
    """A form's text value, trimmed; none is empty."""
    # Textareas send CR LF; the services keep text as typed (LF).
    return str(form.get(name) or "").replace("\r\n", "\n").strip()
