"""The tenant app's navigation. Entries whose URL name does not exist yet are skipped,
so each app adds its screens by URL name without touching templates.

An entry is ``(label, url name, roles)`` or ``(label, url name, roles, group)``; the side
navigation shows a heading whenever the group changes."""

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.common.permissions import STAFF, TREASURY, R

AUDIT_READERS = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PENGAWAS})
USER_READERS = frozenset({R.ADMIN, R.PENGAWAS})
MEMBER = frozenset({R.ANGGOTA})

OPS = _("Operasional")
BOOKS = _("Pembukuan")
ADMIN = _("Administrasi")
PORTAL = _("Portal anggota")

NAV = [
    (_("Beranda"), "home", STAFF),
    (pgettext_lazy("menu", "Anggota"), "members:list", STAFF, OPS),
    (pgettext_lazy("menu", "Instansi"), "members:agencies", STAFF, OPS),
    (_("Teller"), "savings:teller", STAFF, OPS),
    (_("Simpanan"), "savings:accounts", STAFF, OPS),
    (_("Pinjaman"), "loans:list", STAFF, OPS),
    (_("Simulasi pinjaman"), "loans:simulate", STAFF, OPS),
    (pgettext_lazy("menu", "Potong gaji"), "deductions:runs", STAFF, OPS),
    (pgettext_lazy("menu", "Akun"), "ledger:accounts", STAFF, BOOKS),
    (_("Jurnal"), "ledger:journal", STAFF, BOOKS),
    (_("Laporan"), "ledger:reports", STAFF, BOOKS),
    (pgettext_lazy("menu", "Periode"), "ledger:periods", TREASURY, BOOKS),
    (_("Tutup buku & SHU"), "yearend:index", STAFF, BOOKS),
    (_("Pengguna"), "users:list", USER_READERS, ADMIN),
    (_("Audit"), "audit:list", AUDIT_READERS, ADMIN),
    (_("Akses dukungan"), "support:sessions", AUDIT_READERS, ADMIN),  # who from Lumbung looked
    (_("Pengaturan"), "settings", STAFF, ADMIN),
    (_("Langganan"), "billing:tenant", TREASURY, ADMIN),
    (_("Pindah ke Lumbung"), "onboarding:wizard", TREASURY, ADMIN),
    # The member portal (role anggota).
    (_("Ringkasan"), "portal:home", MEMBER, PORTAL),
    (_("Transaksi"), "portal:transactions", MEMBER, PORTAL),
    (_("Pinjaman saya"), "portal:loans", MEMBER, PORTAL),
    (pgettext_lazy("menu", "Potong gaji"), "portal:deductions", MEMBER, PORTAL),
    (_("SHU saya"), "portal:shu", MEMBER, PORTAL),
    (_("Profil"), "account:profile", MEMBER, PORTAL),
]


# Not in a practice copy (tenants.practice): it is never billed, so it has no
# subscription page (billing's views answer 404 without a subscription).
NOT_IN_PRACTICE = frozenset({"billing:tenant"})

# The entries a role sees, with their URLs, per URL configuration and script prefix:
# ``reverse`` of ~25 names on every page is the same answer each time in a process.
_ENTRIES: dict[tuple, list[tuple]] = {}


def _entries(role: str, *, practice: bool = False) -> list[tuple]:
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), role, practice)
    entries = _ENTRIES.get(key)
    if entries is None:
        entries = []
        last_group = None
        for entry in NAV:
            label, name, roles = entry[:3]
            group = entry[3] if len(entry) > 3 else None
            if role not in roles or (practice and name in NOT_IN_PRACTICE):
                continue
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            entries.append(
                (label, url, group if group is not None and group != last_group else None)
            )
            if group is not None:
                last_group = group
        _ENTRIES[key] = entries
    return entries


def nav_for(request) -> list[dict]:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return []
    path = request.path
    entries = _entries(user.role, practice=bool(getattr(request, "is_practice", False)))
    active = active_url(path, [url for _label, url, _group in entries])
    return [
        {"label": label, "url": url, "active": url == active, "group": group}
        for label, url, group in entries
    ]


def active_url(path: str, urls: list[str]) -> str | None:
    """The one entry a page belongs to: the longest URL the path starts with (on
    /simpanan/teller/ that is Teller, not Simpanan too); the home pages ``/`` and
    ``/portal/`` only for themselves."""
    matches = [u for u in urls if path == u or (path.startswith(u) and u not in ("/", "/portal/"))]
    return max(matches, key=len, default=None)
