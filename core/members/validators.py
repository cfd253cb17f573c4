"""Identifier validators (domain brief, "Identifier formats").

- NIP: 18 digits = birth date YYYYMMDD + appointment YYYYMM + gender (1 or 2) + 3-digit number.
- NIK: 16 digits = province (2) + regency (2) + district (2) + birth date DDMMYY (day + 40
  for women) + 4-digit number.
- Phone: stored in +62 form.

Each validator raises ``django.core.exceptions.ValidationError`` with an Indonesian message.
Pure functions (no database); the parse helpers return the facts encoded in the number.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.dates import format_tanggal

# how a NIP or NIK is printed or typed: "19800101 200501 1 001", with dots or hyphens
# (a dash copied from a PDF too)
ID_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]")
# what a NIP/NIK input takes as typed: the 18 digits and the separators of the printed
# form, with room to spare (the digits are checked once the separators are removed)
ID_TYPED_MAX_LENGTH = 30

# ASCII digits only: ``\d`` (and ``int``) also take "１２３" or "١٢٣", which the
# database's ``[0-9]`` checks refuse
_DIGITS = re.compile(r"^[0-9]+$")

# Kemendagri's province codes, the first two digits of every NIK: Sumatra 11-19, Jawa
# 31-36, Bali and Nusa Tenggara 51-53, Kalimantan 61-65, Sulawesi 71-76, Maluku 81-82,
# Papua 91-96 (the four provinces of 2022 included). 21 is Kepulauan Riau.
NIK_PROVINCES = frozenset(
    {*range(11, 20), 21, *range(31, 37), *range(51, 54), *range(61, 66), *range(71, 77)}
    | {81, 82, *range(91, 97)}
)


@dataclass(frozen=True)
class NipInfo:
    birth_date: date
    appointment_year: int
    appointment_month: int
    gender: str  # "L" or "P"
    serial: str


@dataclass(frozen=True)
class NikInfo:
    province: str
    regency: str
    district: str
    birth_date_day: int
    birth_month: int
    birth_year_2: int
    gender: str  # "L" or "P"
    serial: str


def id_digits(value) -> str:
    """A NIP or NIK as printed or typed ("19800101 200501 1 001", "3271.01.010180.0001",
    "3271-0101-0180-0001"): the same without its spaces, dots and hyphens — what is
    validated and stored. Anything else in it (a letter, a slash) is kept, for
    ``parse_nip`` / ``parse_nik`` to refuse with their format message."""
    return ID_SEPARATORS.sub("", str(value or ""))


def _date_or_none(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_nip(value: str) -> NipInfo:
    value = (value or "").strip()
    if len(value) != 18 or not _DIGITS.match(value):
        raise ValidationError(
            _(
                "NIP harus 18 digit angka (spasi, titik dan tanda hubung seperti tercetak diabaikan)."
            ),
            code="nip_format",
        )
    birth = _date_or_none(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    if birth is None or not (1900 <= birth.year <= timezone.localdate().year):
        raise ValidationError(
            _("NIP tidak valid: 8 digit pertama bukan tanggal lahir (TTTTBBHH) yang benar."),
            code="nip_birth_date",
        )
    ay, am = int(value[8:12]), int(value[12:14])
    if not (1 <= am <= 12) or ay < birth.year + 14 or ay > timezone.localdate().year + 1:
        raise ValidationError(
            _(
                "NIP tidak valid: digit 9-14 bukan tahun dan bulan pengangkatan (TTTTBB) yang benar."
            ),
            code="nip_appointment",
        )
    g = value[14]
    if g not in ("1", "2"):
        raise ValidationError(
            _("NIP tidak valid: digit ke-15 (jenis kelamin) harus 1 atau 2."), code="nip_gender"
        )
    return NipInfo(
        birth_date=birth,
        appointment_year=ay,
        appointment_month=am,
        gender="L" if g == "1" else "P",
        serial=value[15:18],
    )


def parse_nik(value: str) -> NikInfo:
    value = (value or "").strip()
    if len(value) != 16 or not _DIGITS.match(value):
        raise ValidationError(
            _(
                "NIK harus 16 digit angka (spasi, titik dan tanda hubung seperti tercetak diabaikan)."
            ),
            code="nik_format",
        )
    prov, reg, dist = value[0:2], value[2:4], value[4:6]
    if int(prov) not in NIK_PROVINCES or reg == "00" or dist == "00":
        raise ValidationError(
            _("NIK tidak valid: kode wilayah (provinsi, kabupaten/kota, kecamatan) salah."),
            code="nik_region",
        )
    dd, mm, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    gender = "L"
    if dd > 40:
        dd -= 40
        gender = "P"
    # The century is unknown: accept the date if it is valid in either century.
    if _date_or_none(2000 + yy, mm, dd) is None and _date_or_none(1900 + yy, mm, dd) is None:
        raise ValidationError(
            _(
                "NIK tidak valid: digit 7-12 bukan tanggal lahir (HHBBTT, hari + 40 untuk perempuan)."
            ),
            code="nik_birth_date",
        )
    if value[12:16] == "0000":
        raise ValidationError(
            _("NIK tidak valid: 4 digit terakhir tidak boleh 0000."), code="nik_serial"
        )
    return NikInfo(
        province=prov,
        regency=reg,
        district=dist,
        birth_date_day=dd,
        birth_month=mm,
        birth_year_2=yy,
        gender=gender,
        serial=value[12:16],
    )


def validate_nip(value: str) -> None:
    parse_nip(value)


def validate_nik(value: str) -> None:
    parse_nik(value)


def nip_nik_match(nip: str, nik: str) -> None:
    """The NIP and NIK of one person agree: the NIP's birth date (YYYYMMDD) is the NIK's
    DDMMYY (day + 40 for a woman; the century is the NIP's) and the NIP's gender digit
    (1 man, 2 woman) is the NIK's (day over 40: woman). Both must be valid on their own
    (``parse_nip``, ``parse_nik``). Raises ``ValidationError`` naming both numbers and
    what each says."""
    a, b = parse_nip(nip), parse_nik(nik)
    nik_raw = nik.strip()[6:12]
    nik_date = f"{nik_raw[0:2]}-{nik_raw[2:4]}-{nik_raw[4:6]}"
    nip_date = format_tanggal(a.birth_date)
    same_date = (a.birth_date.day, a.birth_date.month, a.birth_date.year % 100) == (
        b.birth_date_day,
        b.birth_month,
        b.birth_year_2,
    )
    if not same_date:
        raise ValidationError(
            _(
                "NIP dan NIK tidak cocok: NIP %(nip)s menyebut lahir %(a)s, tetapi NIK "
                "%(nik)s menyebut lahir %(b)s (HH-BB-TT, hari + 40 untuk perempuan)."
            )
            % {"nip": nip.strip(), "a": nip_date, "nik": nik.strip(), "b": nik_date},
            code="nip_nik_birth_date",
        )
    if a.gender != b.gender:
        sex = {"L": _("laki-laki"), "P": _("perempuan")}
        raise ValidationError(
            _(
                "NIP dan NIK tidak cocok: NIP %(nip)s (lahir %(a)s) menyebut %(ga)s, tetapi "
                "NIK %(nik)s (tanggal %(b)s) menyebut %(gb)s (hari lahir + 40 untuk perempuan)."
            )
            % {
                "nip": nip.strip(),
                "a": nip_date,
                "ga": sex[a.gender],
                "nik": nik.strip(),
                "b": nik_date,
                "gb": sex[b.gender],
            },
            code="nip_nik_gender",
        )


def normalize_phone(value: str) -> str:
    """'0812-3456-7890', '62812...', '+62 812 ...' → '+628123456789'. Empty stays empty.
    Raises ValidationError for anything that is not an Indonesian number."""
    raw = (value or "").strip()
    if not raw:
        return ""
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("+62"):
        rest = digits[3:]
    elif digits.startswith("62"):
        rest = digits[2:]
    elif digits.startswith("0"):
        rest = digits[1:]
    else:
        rest = None
    if rest is None or not _DIGITS.match(rest) or not (8 <= len(rest) <= 13) or rest[0] == "0":
        raise ValidationError(
            _("Nomor telepon tidak valid: gunakan format +62 (mis. +6281234567890)."),
            code="phone_format",
        )
    return "+62" + rest


def validate_phone(value: str) -> None:
    if value and normalize_phone(value) != value:
        raise ValidationError(
            _("Nomor telepon harus dalam format +62 (mis. +6281234567890)."), code="phone_format"
        )
