import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.common.errors import ApplicationError
from core.users.models import User
from tenants.errors import TenantErrors

# An e-mail address becomes a login's username (the first admin's at sign-up, a
# pembina's), so it can be no longer than that column (150).
EMAIL_MAX_LENGTH = User._meta.get_field("username").max_length
# The forms' max_length message for it (Django's MaxLengthValidator parameters).
EMAIL_TOO_LONG = gettext_lazy(
    "Alamat e-mail paling panjang %(limit_value)s karakter (sekarang %(show_value)s)."
)

# \Z, not $: "$" also matches before a final newline ("abc\n" would pass).
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])\Z")
RESERVED_SLUGS = frozenset(
    [
        "www",
        "api",
        "admin",
        "console",
        "mail",
        "smtp",
        "imap",
        "pop",
        "static",
        "media",
        "app",
        "apps",
        "assets",
        "cdn",
        "dashboard",
        "docs",
        "help",
        "support",
        "status",
        "billing",
        "public",
        "login",
        "logout",
        "signup",
        "daftar",
        "masuk",
        "blog",
        "ftp",
        "ns",
        "ns1",
        "ns2",
        "test",
        "demo-template",
        "template",
        "lumbung",
        "operator",
        "operators",
        "root",
        "system",
        # Lumbung's own pages and infrastructure names (a cooperative at konsol.<domain>
        # or akun.<domain> would look like Lumbung itself).
        "konsol",
        "dukungan",
        "bantuan",
        "portal",
        "akun",
        "pengguna",
        "langganan",
        "keluar",
        "metrics",
        "staging",
        "healthz",
        "readyz",
        # The public site's own paths: a cooperative at dinas.<domain> would pass for the
        # Dinas view (lumbung.dinas) and could phish its officers (pembina).
        "dinas",
        "pembina",
        "masuk-koperasi",
    ]
)
# Any address starting with these is reserved too (www2, mail-server, admin-koperasi,
# api-v2, ...): look-alikes of infrastructure hosts; and of the Dinas view, its officers
# and Lumbung's console (dinas-kpri, dinaskoperasi-jatim, pembina-x, konsol-lumbung).
RESERVED_PREFIXES = ("www", "mail", "admin", "api", "dinas", "pembina", "konsol", "operator")
# Addresses whose first word is one of these (lumbung-support, dukungan-lumbung,
# masuk-lumbung): they pass for Lumbung's own help desk, sign-in or billing pages. Only
# the whole first word: lumbungtani or kpri-lumbung-desa are a cooperative's own.
RESERVED_FIRST_WORDS = tuple(
    f"{word}-"
    for word in (
        "lumbung",
        "dukungan",
        "bantuan",
        "support",
        "help",
        "masuk",
        "login",
        "akun",
        "billing",
        "langganan",
        "status",
    )
)
# A reserved address's way out: the same words after the cooperative's kind.
SUGGESTED_PREFIX = "kpri-"
# <slug>-latihan is the address of a cooperative's practice copy (tenants.practice).
PRACTICE_SUFFIX = "-latihan"


def validate_slug(slug: str) -> None:
    if not SLUG_RE.match(slug or ""):
        raise ApplicationError(
            TenantErrors.SLUG_INVALID,
            _(
                "Alamat harus 3–40 karakter: huruf kecil, angka, atau tanda hubung, "
                "tidak diawali atau diakhiri tanda hubung."
            ),
            fields={"slug": [_("Format alamat tidak valid.")]},
        )
    if slug.startswith("xn--") or "--" in slug[2:4]:
        # Punycode (internationalised look-alikes such as "lumbung" in Cyrillic) and
        # other "ab--" forms DNS reserves for encodings.
        raise ApplicationError(
            TenantErrors.SLUG_RESERVED,
            _("Alamat '%(slug)s' tidak boleh dipakai.") % {"slug": slug},
            fields={"slug": [_("Alamat berbentuk punycode tidak diizinkan.")]},
        )
    if slug.startswith(RESERVED_PREFIXES + RESERVED_FIRST_WORDS) and slug not in RESERVED_SLUGS:
        prefix = next(p for p in RESERVED_PREFIXES + RESERVED_FIRST_WORDS if slug.startswith(p))
        suggestion = SUGGESTED_PREFIX + slug
        if SLUG_RE.match(suggestion) and not suggestion.endswith(PRACTICE_SUFFIX):
            message = _(
                "Alamat '%(slug)s' tidak boleh dipakai: alamat yang diawali '%(prefix)s' bisa "
                "disangka halaman Lumbung atau Dinas; coba misalnya '%(suggestion)s'."
            ) % {"slug": slug, "prefix": prefix.rstrip("-"), "suggestion": suggestion}
        else:
            message = _(
                "Alamat '%(slug)s' tidak boleh dipakai: alamat yang diawali '%(prefix)s' bisa "
                "disangka halaman Lumbung atau Dinas."
            ) % {"slug": slug, "prefix": prefix.rstrip("-")}
        raise ApplicationError(
            TenantErrors.SLUG_RESERVED, message, fields={"slug": [_("Alamat ini dicadangkan.")]}
        )
    if slug in RESERVED_SLUGS or slug.endswith(PRACTICE_SUFFIX):
        raise ApplicationError(
            TenantErrors.SLUG_RESERVED,
            _("Alamat '%(slug)s' tidak boleh dipakai.") % {"slug": slug},
            fields={"slug": [_("Alamat ini dicadangkan.")]},
        )


PHONE_RE = re.compile(r"^\+62[1-9][0-9]{7,12}\Z")


def normalize_phone(raw: str) -> str:
    """An Indonesian phone number as +62…: accepts 0812…, 62812…, +62 812-…; raises
    ApplicationError otherwise."""
    digits = re.sub(r"[\s().-]", "", raw or "")
    if digits.startswith("0"):
        digits = "+62" + digits[1:]
    elif digits.startswith("62"):
        digits = "+" + digits
    if not PHONE_RE.match(digits):
        raise ApplicationError(
            TenantErrors.PHONE_INVALID,
            _("Nomor telepon tidak valid. Contoh: 0812 3456 7890 atau +62 812 3456 7890."),
            fields={"phone": [_("Nomor telepon tidak valid.")]},
        )
    return digits


def validate_email_length(email: str, *, code: str = TenantErrors.EMAIL_INVALID) -> None:
    """Refuse an address longer than a username (EMAIL_MAX_LENGTH)."""
    if len(email or "") > EMAIL_MAX_LENGTH:
        message = _("Alamat e-mail paling panjang %(n)s karakter.") % {"n": EMAIL_MAX_LENGTH}
        raise ApplicationError(code, message, fields={"email": [message]})


def validate_email_address(email: str) -> str:
    email = (email or "").strip()
    validate_email_length(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            TenantErrors.EMAIL_INVALID,
            _("Alamat e-mail tidak valid."),
            fields={"email": [_("Alamat e-mail tidak valid.")]},
        )
    local, _sep, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


# A NIK koperasi is digits; people group them with dots, dashes or spaces.
NIK_SEPARATORS_RE = re.compile(r"[\s.\-]")
NIK_RE = re.compile(r"[0-9]{10,20}")


def validate_nik_koperasi(value: str) -> str:
    """The NIK koperasi as its digits only ("3201.2345.6789.0123" gives
    "3201234567890123"), or "" when none was given."""
    digits = NIK_SEPARATORS_RE.sub("", value or "")
    if (value or "").strip() and not NIK_RE.fullmatch(digits):
        message = _(
            "NIK koperasi berisi 10–20 angka; titik, tanda hubung dan spasi di antaranya "
            "boleh (kosongkan jika belum punya)."
        )
        raise ApplicationError(
            TenantErrors.NIK_KOPERASI_INVALID, message, fields={"nik_koperasi": [message]}
        )
    return digits


# Legal numbers (nomor badan hukum) come in several historical formats: "518/BH/XVII/2005",
# "123/BH/KWK.11/III/1996", "AHU-0001234.AH.01.26.TAHUN 2020". The rule is only what
# they all share: ASCII letters and digits, spaces and / . - , ( ), at least one digit.
LEGAL_NUMBER_MIN_LENGTH = 3
LEGAL_NUMBER_MAX_LENGTH = 100  # the column's length
LEGAL_NUMBER_RE = re.compile(r"[A-Za-z0-9 /.,()-]*[0-9][A-Za-z0-9 /.,()-]*")


def legal_number_rule() -> str:
    return _(
        "Nomor badan hukum berisi %(min)s–%(max)s karakter: huruf, angka, spasi dan tanda "
        "/ . - , ( ), sedikitnya satu angka, mis. 518/BH/XVII/2005 atau "
        "AHU-0001234.AH.01.26.TAHUN 2020."
    ) % {"min": LEGAL_NUMBER_MIN_LENGTH, "max": LEGAL_NUMBER_MAX_LENGTH}


def validate_legal_number(value: str) -> str:
    """The legal number with its spaces tidied (none around it, one between words)."""
    number = " ".join((value or "").split())
    if not (
        LEGAL_NUMBER_MIN_LENGTH <= len(number) <= LEGAL_NUMBER_MAX_LENGTH
        and LEGAL_NUMBER_RE.fullmatch(number)
    ):
        message = legal_number_rule()
        raise ApplicationError(
            TenantErrors.LEGAL_NUMBER_INVALID, message, fields={"legal_number": [message]}
        )
    return number


# No Indonesian cooperative is older than the Republic.
LEGAL_DATE_EARLIEST = date(1945, 8, 17)


def validate_legal_date(value: date) -> date:
    """The legal date, between the proclamation (17 August 1945) and today."""
    if value < LEGAL_DATE_EARLIEST:
        message = _("Tanggal badan hukum tidak boleh sebelum 17 Agustus 1945.")
    elif value > timezone.localdate():
        message = _("Tanggal badan hukum tidak boleh di masa depan.")
    else:
        return value
    raise ApplicationError(
        TenantErrors.LEGAL_DATE_INVALID, message, fields={"legal_date": [message]}
    )
