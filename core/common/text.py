"""Control characters in the text people type (names, addresses, notes, reasons): refused
at input, with an error naming the field, so none is ever stored.

A control character (``\\x01``, a vertical tab ``\\x0b``, ``\\x1f``, DEL ``\\x7f``, the C1
range ``\\x80``-``\\x9f``; Unicode category Cc) is invisible on a screen, breaks an XLSX
export (exports drop them, ``exports.safe_cell``: rows stored before this check keep
theirs) and has no place in a name. A newline, a carriage return and a tab are allowed in
multi-line text (an address, a note, a reason) and refused in a single-line field (a
name, a code, a number).

One check, reached from every way text comes in:

- every Django form ``CharField`` (plain forms and ModelForms, the cooperative's screens,
  the public sign-up and the operator console): multi-line when its widget is a
  ``Textarea`` (:func:`install`);
- every DRF ``CharField`` (ModelSerializers and plain serializers): multi-line when it is
  a model ``TextField`` (DRF gives it the textarea style), has that style, or is named
  like free prose (:data:`MULTILINE_NAMES`: ``reason``, ``note``, ``address``…);
- a reason a service takes straight from a request (``errors.reason_required``, through
  ``errors.text_checked``), other text a service takes straight from a request
  (``errors.text_checked`` in the service: an optional reason, a loan decision's note,
  the SHU recipient named at payout, the move-in adjustment's explanation and account
  mapping; docs/security.md lists them) and the imports' text cells
  (``spreadsheet.cell_plain_text``).

NUL is a control character too: form and serializer fields keep the refusal Django and
DRF gave it before ("Karakter null tidak diizinkan."); the imports and services refuse it
with the message above."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

# Unicode category Cc: C0 controls, DEL, C1 controls
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# the same without tab, newline and carriage return (multi-line text)
_CONTROL_IN_PROSE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# DRF fields of free prose by their name (the API twin of a form's Textarea)
MULTILINE_NAMES = re.compile(
    r"(?:^|_)(?:reason|note|notes|memo|description|address|explanation|purpose|comment|message)$"
)
# DRF's own mark of a multi-line text field (a model TextField gets it)
TEXTAREA_STYLE = "textarea.html"


def control_characters_error(value: Any, *, label: Any = None, multiline: bool) -> str | None:
    """The message refusing ``value`` (naming ``label``) when it holds a control
    character, or a line break or tab outside multi-line text; None when it is fine (or
    not text)."""
    if not isinstance(value, str) or not value:
        return None
    if (_CONTROL_IN_PROSE if multiline else _CONTROL).search(value) is None:
        return None
    if not multiline and _CONTROL_IN_PROSE.search(value) is None:
        name = str(label) if label else _("Isian ini")
        return _("%(f)s harus satu baris: tidak boleh berisi baris baru atau tab.") % {"f": name}
    return control_characters_message(label)


def control_characters_message(label: Any = None) -> str:
    """The refusal of text with a control character, naming ``label``."""
    name = str(label) if label else _("Isian ini")
    return _("%(f)s tidak boleh berisi karakter kontrol (tak terlihat).") % {"f": name}


def control_characters_removed(text: str, *, multiline: bool = False) -> str:
    """``text`` without its control characters (outside multi-line text a line break or
    a tab becomes a space). Only for text that is a label, shown or kept to name
    something (an uploaded file's name, a header or a cell an import echoes), never for
    what a person types as the record: that is refused (:func:`control_characters_check`)."""
    if not multiline:
        text = re.sub(r"[\t\n\r]", " ", text)
    return _CONTROL_IN_PROSE.sub("", text)


def control_characters_check(value: Any, *, label: Any = None, multiline: bool) -> None:
    """:func:`control_characters_error` as a Django ``ValidationError``
    (code ``control_characters``)."""
    message = control_characters_error(value, label=label, multiline=multiline)
    if message:
        raise ValidationError(message, code="control_characters")


# --- every form and serializer text field ---------------------------------------------


def _has_nul(value: Any) -> bool:
    """NUL keeps the refusal Django and DRF give it (``ProhibitNullCharactersValidator``,
    run next)."""
    return isinstance(value, str) and "\x00" in value


def _form_field_validate(self: forms.CharField, value: Any) -> None:
    forms.Field.validate(self, value)
    if isinstance(self.widget, forms.PasswordInput) or _has_nul(value):
        return  # a password is never shown nor exported: any character it has is its own
    control_characters_check(
        value, label=self.label, multiline=isinstance(self.widget, forms.Textarea)
    )


def _drf_multiline(field: serializers.CharField) -> bool:
    if field.style.get("base_template") == TEXTAREA_STYLE:
        return True
    return bool(field.field_name and MULTILINE_NAMES.search(field.field_name))


def _drf_label(field: serializers.CharField) -> Any:
    """The field's own label; None for the one DRF makes up from the field's name
    ("Full name": English)."""
    name = field.field_name or ""
    if field.label and field.label != name.replace("_", " ").capitalize():
        return field.label
    return None


def _drf_run_validators(self: serializers.CharField, value: Any) -> None:
    if self.style.get("input_type") != "password" and not _has_nul(value):
        message = control_characters_error(
            value, label=_drf_label(self), multiline=_drf_multiline(self)
        )
        if message:
            raise serializers.ValidationError(message, code="control_characters")
    serializers.Field.run_validators(self, value)


def install() -> None:
    """Put the check on every Django form ``CharField`` and DRF ``CharField`` (and their
    subclasses: e-mail, URL, slug, password…), at start-up (``CommonConfig.ready``).
    Neither class has a hook of its own for a check every instance runs, so the one
    method each runs on a typed value is extended: ``Field.validate`` of a form field,
    ``Field.run_validators`` of a serializer field (neither ``CharField`` overrides it)."""
    forms.CharField.validate = _form_field_validate
    serializers.CharField.run_validators = _drf_run_validators
