"""Form and API fields for rupiah typed by people: both read with
``core.common.money.parse_rupiah`` (one parser for every screen, import and API); a form
field for rates, read with ``parse_percent``."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from .money import (
    MAX_RUPIAH,
    PERCENT_PLACES,
    RupiahError,
    parse_percent,
    parse_rupiah,
    rupiah_in_words,
)

# the page that says a typed amount in words (core.common.views.rupiah_words), on the
# cooperatives' sites and the public one alike
TERBILANG_URL = "/terbilang/"


def _display(value) -> str:
    """``1250000`` → ``1.250.000`` (what the teller typed comes back as typed)."""
    if value in (None, ""):
        return ""
    if not isinstance(value, Decimal | int):
        return str(value)
    d = Decimal(value)
    sign = "-" if d < 0 else ""
    whole, _, frac = f"{abs(d):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = sign + ".".join(groups)
    if frac.strip("0"):
        text += "," + frac
    return text


class _TypedNumberField(forms.Field):
    """A number typed as text: a phone shows its number pad, the browser suggests nothing
    (a hidden input excepted)."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if not isinstance(widget, forms.HiddenInput):
            attrs.setdefault("inputmode", "decimal")
            attrs.setdefault("autocomplete", "off")
        return attrs


def typed_rupiah_in_words(text: str) -> str:
    """What is typed in a rupiah box, in words (``1.250.000`` → ``Satu juta dua ratus lima
    puluh ribu rupiah``); the reader's own error message (``RupiahError``) when it is not an
    amount; empty when nothing is typed."""
    text = (text or "").strip()
    if not text:
        return ""
    # a sign or ``-`` is the form's to refuse where it must: here it is only read back
    return rupiah_in_words(
        parse_rupiah(text, field=_("Jumlah"), allow_negative=True, allow_dash_zero=True)
    )


class RupiahInput(forms.TextInput):
    """A rupiah box that says the amount in words under it (*terbilang*) as it is typed,
    so an extra zero shows before the form is sent: ``Dua puluh lima juta rupiah`` under
    ``25.000.000``. Asked of ``TERBILANG_URL`` with htmx as the typing pauses; the words
    of a value already in the box are written with the page."""

    template_name = "common/widgets/rupiah_input.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        words_id = f"{widget['attrs'].get('id') or name}-terbilang"
        widget["attrs"].update(
            {
                "hx-get": TERBILANG_URL,
                "hx-trigger": "input changed delay:300ms",
                "hx-target": f"#{words_id}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        widget["words_id"] = words_id
        try:
            widget["words"] = typed_rupiah_in_words(str(widget["value"] or ""))
        except RupiahError:
            widget["words"] = ""  # the field's own error says it once the form is sent
        return context


class RupiahField(_TypedNumberField):
    """A Django form field: text in, Decimal out (whole rupiah unless ``whole=False``)."""

    def __init__(
        self,
        *,
        whole: bool = True,
        allow_negative: bool = False,
        allow_dash_zero: bool = False,
        min_value: Decimal | int | None = None,
        max_value: Decimal | int = MAX_RUPIAH,
        **kwargs,
    ) -> None:
        self.whole = whole
        self.allow_negative = allow_negative
        self.allow_dash_zero = allow_dash_zero
        self.min_value = None if min_value is None else Decimal(min_value)
        self.max_value = Decimal(max_value)
        if whole:  # words round to whole rupiah: not under a box that takes sen
            kwargs.setdefault("widget", RupiahInput)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return _display(value)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        text = value.strip() if isinstance(value, str) else value
        try:
            d = parse_rupiah(
                text,
                field=str(self.label or ""),
                whole=self.whole,
                allow_negative=self.allow_negative,
                allow_dash_zero=self.allow_dash_zero,
                max_value=self.max_value,
            )
        except RupiahError as e:
            raise forms.ValidationError(e.text, code=e.reason) from None
        if self.min_value is not None and d < self.min_value:
            raise forms.ValidationError(
                _("Paling sedikit %(m)s.") % {"m": "Rp " + _display(self.min_value)},
                code="min_value",
            )
        return d


class PercentField(_TypedNumberField):
    """A rate typed by a person (``6,5``, ``6.5``, ``6,5 %``): text in, Decimal out with
    at most ``places`` decimals (``parse_percent``, which says what is wrong naming the
    field); shown with a decimal comma (``6,5``, never ``6.500``, which reads as six
    thousand five hundred here)."""

    def __init__(
        self,
        *,
        places: int = PERCENT_PLACES,
        min_value: Decimal | int = 0,
        max_value: Decimal | int = 100,
        **kwargs,
    ) -> None:
        self.places = places
        self.min_value = Decimal(min_value)
        self.max_value = Decimal(max_value)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return f"{Decimal(value).normalize():f}".replace(".", ",")
        return "" if value is None else value

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_percent(
                value,
                field=str(self.label or ""),
                min_value=self.min_value,
                max_value=self.max_value,
                places=self.places,
            )
        except forms.ValidationError as e:
            raise forms.ValidationError(e.messages, code=e.code) from None


class RupiahSerializerField(serializers.DecimalField):
    """A DRF field: a JSON number or a string as people write it (``"1.250.000"``);
    shown like a DecimalField (``"1250000.00"``) so the API schema and output stay."""

    def __init__(
        self,
        *,
        whole: bool = True,
        allow_negative: bool = False,
        min_value: Decimal | int | None = None,
        max_value: Decimal | int = MAX_RUPIAH,
        **kwargs,
    ) -> None:
        self.whole = whole
        self.allow_negative = allow_negative
        # the label a serializer gives; DRF's own (``Expected net`` from the key) is
        # English, so without one the messages say "Jumlah" (the field is named in
        # ``fields`` anyway)
        self.rupiah_label = kwargs.get("label")
        self.rupiah_min = None if min_value is None else Decimal(min_value)
        self.rupiah_max = Decimal(max_value)
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            d = parse_rupiah(
                data,
                field=str(self.rupiah_label or ""),
                whole=self.whole,
                allow_negative=self.allow_negative,
                max_value=self.rupiah_max,
            )
        except RupiahError as e:
            raise serializers.ValidationError(e.text, code=e.reason) from None
        if self.rupiah_min is not None and d < self.rupiah_min:
            raise serializers.ValidationError(
                _("Paling sedikit %(m)s.") % {"m": "Rp " + _display(self.rupiah_min)},
                code="min_value",
            )
        return d


class IntegerListField(forms.Field):
    """Every value of a repeated field (checkboxes sharing a name: row numbers, member
    ids), each a whole number; one that is not makes the field invalid (its ``invalid``
    error message)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": gettext_lazy("Bukan angka.")}

    def __init__(self, *, min_value: int | None = None, **kwargs) -> None:
        self.min_value = min_value
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        try:
            numbers = [int(v) for v in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if self.min_value is not None and any(n < self.min_value for n in numbers):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return numbers
