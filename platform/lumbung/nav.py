"""The tenant app's navigation. Entries whose URL name does not exist yet are skipped,
so each app adds its screens by URL name without touching templates."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.common.permissions import STAFF, TREASURY

NAV = [
    (_("Beranda"), "home", STAFF),
    (_("Anggota"), "members:list", STAFF),
    (_("Instansi"), "members:agencies", STAFF),
    (_("Teller"), "savings:teller", STAFF),
    (_("Simpanan"), "savings:accounts", STAFF),
    (_("Pinjaman"), "loans:list", STAFF),
    (_("Simulasi pinjaman"), "loans:simulate", STAFF),
    (_("Potong gaji"), "deductions:runs", STAFF),
    (_("Akun"), "ledger:accounts", STAFF),
    (_("Jurnal"), "ledger:journal", STAFF),
    (_("Laporan"), "ledger:reports", STAFF),
    (_("Periode"), "ledger:periods", TREASURY),
    (_("Audit"), "audit:list", STAFF),
    (_("Langganan"), "billing:tenant", TREASURY),
]


def nav_for(request) -> list[dict]:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return []
    items = []
    for label, name, roles in NAV:
        if user.role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "label": label,
                "url": url,
                "active": request.path.startswith(url) and url != "/" or request.path == url,
            }
        )
    return items
