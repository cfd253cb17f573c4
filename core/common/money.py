"""Rupiah arithmetic and formatting. Money is Decimal, never float."""

import re as _re
import unicodedata as _ud
from collections.abc import Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError as _ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from num2words import num2words

RUPIAH = Decimal("1")
CENT = Decimal("0.01")


def to_decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal, int or string.")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def round_rupiah(value) -> Decimal:
    """Whole rupiah, half-up (the rule for member-facing amounts)."""
    return to_decimal(value).quantize(RUPIAH, rounding=ROUND_HALF_UP)


def format_rupiah(value, *, decimals: int = 0) -> str:
    """`Rp 1.234.567` (dot thousands, comma decimals); negatives as `-Rp 1.234`."""
    if value is None or value == "":
        return ""
    d = to_decimal(value)
    q = Decimal(1).scaleb(-decimals) if decimals else RUPIAH
    d = d.quantize(q, rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    return f"{sign}Rp {_shown_number(abs(d))}"  # quantized: exactly ``decimals`` digits


def rupiah_in_words(value) -> str:
    """The amount in words, as a kuitansi's *terbilang* says it, in the active language:
    ``Decimal("1250000")`` → ``Satu juta dua ratus lima puluh ribu rupiah`` (English:
    ``One million, two hundred and fifty thousand rupiah``). Whole rupiah rounded half up
    as ``format_rupiah`` rounds, so the words always say the figure printed beside them.
    Words by num2words (its Indonesian and English)."""
    if value is None or value == "":
        return ""
    lang = "en" if (get_language() or "").startswith("en") else "id"
    words = num2words(int(round_rupiah(value)), lang=lang)
    return f"{words[:1].upper()}{words[1:]} rupiah"


def format_percent(value) -> str:
    """A percentage's number as the screens show it, for a message that adds its ``%``:
    ``Decimal("33.33")`` → ``33,33``, ``Decimal("10.0000")`` → ``10`` (never ``1E+1``),
    ``0.5`` → ``0,5``. Every message that interpolates a rate uses this."""
    if value is None or value == "":
        return ""
    return _shown_number(to_decimal(value).normalize())


# --- rupiah typed by people ---------------------------------------------------------------
#
# ONE reader for amounts people type or paste (teller, loan forms, ledger entries, API
# fields, spreadsheet imports). Accepted: ``1234567``, ``1.234.567``, ``1,234,567``,
# ``1 234 567``, ``Rp 1.234.567``, ``Rp.``/``RP``/``IDR`` prefixes, every Unicode space
# (a non-breaking space from a web page or a PDF is a space), ``250.000,-``, explicit
# zero cents (``1.234.567,00``), ``-`` for zero where the caller allows it. Refused with
# a reason: cents in a whole-rupiah field (``1.234,56``, ``1,234.56``), anything
# ambiguous or not a number (``1.23.4``, ``1e30``, ``12abc``), negatives unless allowed,
# amounts beyond what the field (and the database column) holds.

# numeric(18, 2) columns hold 16 whole digits; the default cap leaves a margin.
MAX_RUPIAH = Decimal("999999999999999")  # < Rp 1.000 triliun
_MAX_DIGITS = 18
_PREFIX = _re.compile(r"^(?:rp|idr)\.?\s*", _re.IGNORECASE)
_DASH_SUFFIX = _re.compile(r"[.,]\s*-+$")
_DASHES = {"-", "\u2013", "\u2014", "\u2212"}
_GROUPED = {
    ".": _re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+$"),
    ",": _re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$"),
    " ": _re.compile(r"^[0-9]{1,3}(?: [0-9]{3})+$"),
}
_PLAIN = _re.compile(r"^[0-9]+$")


class RupiahError(_ValidationError):
    """A typed amount that cannot be read as rupiah; ``code`` says why:
    ``rupiah_empty``, ``rupiah_invalid``, ``rupiah_not_whole``, ``rupiah_negative``,
    ``rupiah_too_large``, ``rupiah_float``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.reason = code
        self.text = message


def _clean_spaces(text: str) -> str:
    text = _ud.normalize("NFKC", text)
    out = []
    for ch in text:
        cat = _ud.category(ch)
        if ch.isspace() or cat == "Zs":
            out.append(" ")
        elif cat == "Cf":  # zero-width space, BOM, joiners: invisible, dropped
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def _odd_digit(text: str) -> str:
    """The first character that is a number but not 0-9 (full-width digits, which are
    the same digits, aside): NFKC would turn a footnote mark ``²`` or a circled ``①``
    into a plain digit and ``1250000²`` into 12.500.002; Arabic-Indic digits are no
    digits the reader takes. "" when there is none."""
    for ch in text:
        if ch.isascii() or _ud.numeric(ch, None) is None:
            continue
        if _ud.decomposition(ch).startswith("<wide>"):
            continue
        return ch
    return ""


def _odd_digit_message(label: str, shown: str) -> str:
    return _(
        "%(f)s '%(v)s' berisi angka yang bukan 0-9 (mis. pangkat ², angka dalam lingkaran "
        "atau angka Arab); tulis angkanya dengan 0-9."
    ) % {"f": label, "v": shown}


def _body_value(body: str) -> tuple[str, str] | None:
    """(whole digits, fraction digits) of a number body, or None when it is not one
    unambiguous number."""
    if _PLAIN.match(body):
        return body, ""
    for sep, rx in _GROUPED.items():
        if rx.match(body):
            return body.replace(sep, ""), ""
    # a fraction: the last separator, followed by 1-2 digits, differs from the grouping
    m = _re.match(r"^(.*?)([.,])([0-9]{1,2})$", body)
    if not m:
        return None
    head, dec, frac = m.groups()
    if _PLAIN.match(head):
        return head, frac
    for sep, rx in _GROUPED.items():
        if sep != dec and rx.match(head):
            return head.replace(sep, ""), frac
    return None


# below this a float with sen (two decimals) fits Excel's 15 significant digits
EXCEL_EXACT_BELOW = 1e13


def excel_decimal(value: float) -> Decimal:
    """A spreadsheet number as Excel shows it: 15 significant digits (Excel writes the
    double's 17, so 0.1 + 0.2 is stored as 0.30000000000000004 and shown as 0,3)."""
    return Decimal(f"{value:.15g}")


def _shown_number(d: Decimal) -> str:
    """``1234.5`` → ``1.234,5``: a number as people here write it, every digit kept."""
    sign = "-" if d < 0 else ""
    whole, _sep, frac = f"{abs(d):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def parse_rupiah(
    value,
    *,
    field: str = "",
    whole: bool = True,
    allow_negative: bool = False,
    allow_dash_zero: bool = False,
    max_value: Decimal = MAX_RUPIAH,
) -> Decimal:
    """Read an amount typed by a person (or a spreadsheet cell). Returns a Decimal: whole
    rupiah (``whole=True``, quantized to 1) or with at most two decimals. Raises
    ``RupiahError`` (a ``ValidationError``) with a translated message naming ``field``."""
    label = field or _("Jumlah")
    if isinstance(value, bool):
        raise RupiahError(_("%(f)s bukan angka.") % {"f": label}, "rupiah_invalid")
    if isinstance(value, float):
        # spreadsheet cells and JSON numbers come as floats
        if value != value or value in (float("inf"), float("-inf")):
            raise RupiahError(_("%(f)s bukan angka.") % {"f": label}, "rupiah_invalid")
        if abs(value) >= 2**53:
            raise RupiahError(_("%(f)s terlalu besar.") % {"f": label}, "rupiah_too_large")
        if value.is_integer():
            value = int(value)
        elif abs(value) < EXCEL_EXACT_BELOW:
            # what Excel shows: 15 significant digits. A formula's =100000*1.1 is stored
            # as 110000.00000000001 and shown (and meant) as 110.000. Below 10^13 an
            # amount with sen fits those digits, so nothing typed is changed.
            value = excel_decimal(value)
            if whole and value != value.to_integral_value():
                raise RupiahError(
                    _(
                        "%(f)s %(v)s bukan rupiah utuh (ada sen); bulatkan dulu, mis. "
                        "dengan =ROUND(...;0) di Excel."
                    )
                    % {"f": label, "v": _shown_number(value)},
                    "rupiah_not_whole",
                )
        elif whole:  # too large for 15 digits to keep its sen: never rounded away
            raise RupiahError(
                _("%(f)s harus rupiah utuh (tanpa sen).") % {"f": label}, "rupiah_not_whole"
            )
        else:
            value = Decimal(repr(value))  # its shortest repr, every digit kept
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise RupiahError(_("%(f)s bukan angka.") % {"f": label}, "rupiah_invalid")
        d = value
    else:
        d = _parse_text(
            "" if value is None else str(value),
            label=label,
            allow_dash_zero=allow_dash_zero,
        )
    if d < 0 and not allow_negative:
        raise RupiahError(_("%(f)s tidak boleh negatif.") % {"f": label}, "rupiah_negative")
    if abs(d) > max_value:
        raise RupiahError(
            _("%(f)s terlalu besar (paling banyak %(m)s).")
            % {"f": label, "m": format_rupiah(max_value)},
            "rupiah_too_large",
        )
    if whole:
        if d != d.to_integral_value():
            raise RupiahError(
                _("%(f)s harus rupiah utuh, tanpa sen (mis. 1.250.000).") % {"f": label},
                "rupiah_not_whole",
            )
        return d.quantize(RUPIAH)
    if d != d.quantize(CENT):
        raise RupiahError(
            _("%(f)s paling banyak dua angka di belakang koma.") % {"f": label},
            "rupiah_not_whole",
        )
    return d.quantize(CENT)


def _parse_text(raw: str, *, label: str, allow_dash_zero: bool) -> Decimal:
    if _odd_digit(raw):
        raise RupiahError(_odd_digit_message(label, raw.strip()[:40]), "rupiah_invalid")
    s = _clean_spaces(raw)
    if not s:
        raise RupiahError(_("%(f)s kosong.") % {"f": label}, "rupiah_empty")
    if s in _DASHES or _PREFIX.sub("", s) in _DASHES:  # "-" or "Rp -": zero, where allowed
        if allow_dash_zero:
            return Decimal(0)
        raise RupiahError(
            _("%(f)s berisi tanda '-'; tulis 0 bila tidak ada.") % {"f": label}, "rupiah_empty"
        )
    negative = False
    if s[0] in _DASHES:
        negative, s = True, s[1:].strip()
    s = _PREFIX.sub("", s)
    if s and s[0] in _DASHES and not negative:
        negative, s = True, s[1:].strip()
    s = _DASH_SUFFIX.sub("", s).strip()
    shown = raw.strip()[:40]
    if not s:
        raise RupiahError(
            _("%(f)s '%(v)s' tidak berisi angka.") % {"f": label, "v": shown}, "rupiah_invalid"
        )
    parts = _body_value(s)
    if parts is None:
        raise RupiahError(
            _("%(f)s '%(v)s' bukan angka rupiah yang jelas; tulis mis. 1.250.000 atau 1250000.")
            % {"f": label, "v": shown},
            "rupiah_invalid",
        )
    digits, frac = parts
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        raise RupiahError(_("%(f)s terlalu besar.") % {"f": label}, "rupiah_too_large")
    d = Decimal(digits) + (Decimal(f"0.{frac}") if frac else Decimal(0))
    if frac and frac.strip("0"):
        d = Decimal(f"{digits}.{frac}")
    return -d if negative else d


# --- percentages typed by people ----------------------------------------------------------

_PERCENT = _re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)$")
PERCENT_PLACES = 4  # the rate columns are numeric(7, 4)


def parse_percent(
    value,
    *,
    field: str = "",
    min_value: Decimal = Decimal(0),
    max_value: Decimal = Decimal(100),
    places: int = PERCENT_PLACES,
) -> Decimal:
    """Read a percentage typed by a person (a rate: ``1``, ``1,5`` as the app shows it,
    ``1.5``, ``1,5%``) or a number cell (read as Excel shows it, 15 significant digits).
    Returns a Decimal with ``places`` decimals; more precision than the column holds is
    refused, not rounded (the figure used must be the figure kept). Raises
    ``ValidationError`` with a translated message naming ``field``. A percent-formatted
    spreadsheet cell (Excel keeps 1% as 0.01) is the caller's to turn into 1 first
    (``core.common.spreadsheet.Percent``)."""
    label = field or _("Persen")
    if isinstance(value, bool):
        d, shown = None, str(value)
    elif isinstance(value, float):
        ok = value == value and value not in (float("inf"), float("-inf"))
        d, shown = (excel_decimal(value) if ok else None), repr(value)
    elif isinstance(value, int | Decimal):
        d, shown = Decimal(value), str(value)
    else:
        raw = "" if value is None else str(value)
        shown = _clean_spaces(raw)
        text = shown.removesuffix("%").strip()
        if _odd_digit(raw):  # "1,5²" is no 1,52 %
            d, shown = None, " ".join(raw.split())
        else:
            d = Decimal(text.replace(",", ".")) if _PERCENT.match(text) else None
    if d is None or not d.is_finite():
        raise _ValidationError(
            _("%(f)s tidak valid: %(v)s") % {"f": label, "v": shown[:40] or "-"},
            code="percent_invalid",
        )
    if not min_value <= d <= max_value:
        raise _ValidationError(
            _("%(f)s harus antara %(a)s dan %(b)s persen.")
            % {"f": label, "a": _shown_number(min_value), "b": _shown_number(max_value)},
            code="percent_out_of_range",
        )
    step = Decimal(1).scaleb(-places)
    if d != d.quantize(step):
        raise _ValidationError(
            _("%(f)s paling banyak %(n)s angka di belakang koma: %(v)s")
            % {"f": label, "n": places, "v": _shown_number(d)[:40]},
            code="percent_precision",
        )
    return d.quantize(step)


# --- splitting an amount by weights ---------------------------------------------------


def split_by_weights(
    units: int, weights: Sequence[tuple[Hashable, int]], *, order: Sequence | None = None
) -> dict[Hashable, int]:
    """The largest-remainder method. Split ``units`` (a non-negative integer: rupiah or
    sen) in proportion to integer ``weights``
    ``[(key, w), ...]``. The result sums to ``units`` exactly when the total weight is
    positive (else every key gets 0). Leftover units go to the largest remainders; ties
    by ``order`` (a sort key per position; default: the key itself), ascending."""
    if units < 0:
        raise ValueError("units must be non-negative")
    total = sum(w for _k, w in weights)
    if any(w < 0 for _k, w in weights):
        raise ValueError("weights must be non-negative")
    out = {k: 0 for k, _w in weights}
    if total == 0 or units == 0:
        return out
    rems = []
    given = 0
    for i, (key, w) in enumerate(weights):
        q, r = divmod(units * w, total)
        out[key] = q
        given += q
        tie = order[i] if order is not None else key
        rems.append((-r, tie, key))
    rems.sort(key=lambda t: (t[0], t[1]))
    for _negr, _tie, key in rems[: units - given]:
        out[key] += 1
    return out
