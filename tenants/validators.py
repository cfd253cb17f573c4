import re

from django.utils.translation import gettext as _

from core.common.errors import ApplicationError

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
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
    ]
)


def validate_slug(slug: str) -> None:
    if not SLUG_RE.match(slug or ""):
        raise ApplicationError(
            "slug_invalid",
            _(
                "Alamat harus 3–40 karakter: huruf kecil, angka, atau tanda hubung, "
                "tidak diawali atau diakhiri tanda hubung."
            ),
            fields={"slug": [_("Format alamat tidak valid.")]},
        )
    if slug in RESERVED_SLUGS:
        raise ApplicationError(
            "slug_reserved",
            _("Alamat '%(slug)s' tidak boleh dipakai.") % {"slug": slug},
            fields={"slug": [_("Alamat ini dicadangkan.")]},
        )
