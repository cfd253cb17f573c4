from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from core.common.dates import format_date
from core.common.permissions import STAFF, role_required
from core.onboarding.selectors import setup_status
from core.users.models import User
from tenants.models import Cooperative
from tenants.practice_steps import practice_steps
from tenants.services import tenant_url

from .dashboard import dashboard_panels
from .terms import terms_in_force, terms_upcoming, terms_version


def public_home(request):
    return render(request, "public_home.html")


@require_safe
def public_terms(request, version: str | None = None):
    """The terms of use (syarat dan ketentuan) the sign-up form asks to accept: the
    version in force today, or the registered ``version`` asked for (404 for another),
    with when it applies and any later version registered (``lumbung.terms``); an unpaid
    bill's grace and the days a suspension lasts before archiving as configured
    (``billing.services.daily``)."""
    today = timezone.localdate()
    in_force = terms_in_force(on=today)
    shown = in_force if version is None else terms_version(version)
    if shown is None:
        raise Http404
    later = [
        {"id": v.id, "effective": format_date(v.effective_on)}
        for v in terms_upcoming(on=today)
        if v.effective_on > shown.effective_on
    ]
    return render(
        request,
        "public_terms.html",
        {
            "version": shown,
            "effective": format_date(shown.effective_on),
            "upcoming": shown.effective_on > today,
            "superseded": shown.effective_on < in_force.effective_on,
            "later": later,
            "grace_days": settings.BILLING_PAST_DUE_GRACE_DAYS,
            "archive_days": settings.BILLING_ARCHIVE_AFTER_DAYS,
        },
    )


@require_safe
def public_login(request):
    """ "Masuk" on the public site: staff and members sign in on their cooperative's own
    address; this asks for it and sends them there (operators use /masuk/)."""
    slug = (request.GET.get("alamat") or "").strip().lower()
    slug = slug.split(".", 1)[0].removeprefix("https://").removeprefix("http://")
    error = ""
    if slug:
        coop = Cooperative.objects.filter(slug=slug).exclude(schema_name="public").first()
        if coop is not None:
            return redirect(tenant_url(coop.slug) + "masuk/")
        error = _("Koperasi dengan alamat itu tidak ditemukan. Periksa ejaannya.")
    return render(request, "public_login.html", {"slug": slug, "error": error})


@require_safe
@login_required
def tenant_home(request):
    """The dashboard for staff; members go to their portal."""
    if request.user.role == User.Role.ANGGOTA:
        return redirect("portal:home")
    if request.user.role not in STAFF:
        raise PermissionDenied
    tenant = request.tenant
    practice = getattr(tenant, "is_practice", False)
    # A cooperative with no member and nothing posted starts from its checklist instead
    # of a dashboard of zeros; once it works, the checklist stays on top until complete.
    steps, new = ([], False) if practice else setup_status()
    pending = [s for s in steps if not s.done]
    context = {
        "panels": {} if new else dashboard_panels(user=request.user),
        "checklist": steps if pending else None,
        "checklist_done": len(steps) - len(pending),
        "is_new": new,
    }
    if practice:
        # the guided first month of a practice copy, ticked from its own data
        pst = practice_steps(since=tenant.practice_reset_at or tenant.created_at)
        context["practice"] = {
            "steps": pst,
            "done": sum(s.done for s in pst),
            "total": len(pst),
            "real_url": tenant_url(tenant.practice_of.slug),
        }
    return render(request, "tenant_home.html", context)


# Settings screens other apps provide, by URL name (shown when they exist).
SETTINGS_LINKS = [
    (_("Pengguna dan peran"), "users:list", _("Undang pengguna, atur peran, nonaktifkan.")),
    (_("Produk simpanan"), "savings:products", _("Pokok, wajib, sukarela, berjangka.")),
    (_("Produk pinjaman"), "loans:products", _("Jasa, tenor, biaya, batas.")),
    (_("Pengaturan pinjaman"), "loans:settings", _("Kolektibilitas (4 atau 5 golongan), PPAP.")),
    (_("Pemetaan akun"), "ledger:mapping", _("Akun kas, bank dan kontrol per transaksi.")),
    (_("Bagan akun"), "ledger:accounts", _("Daftar akun buku besar.")),
    (_("Periode akuntansi"), "ledger:periods", _("Tutup buku bulanan dan tahunan.")),
    (_("Pengaturan potong gaji"), "deductions:settings", _("Prioritas alokasi, tanggal tutup.")),
    (_("Instansi"), "members:agencies", _("Instansi dan bendahara gaji.")),
    (_("Langganan"), "billing:tenant", _("Paket dan tagihan Lumbung.")),
    (_("Catatan audit"), "audit:list", _("Siapa melakukan apa, kapan.")),
    (_("Berbagi data dengan Dinas"), "sharing:consent", _("Indikator untuk Dinas Koperasi.")),
    (
        _("Ruang latihan"),
        "practice:settings",
        _("Salinan berisi data contoh untuk berlatih (admin)."),
    ),
]


@role_required(read=STAFF, write=frozenset())
def settings_home(request):
    """The settings pages this user's role may open (a card leading to "Akses ditolak"
    would mislead): each page's own ``role_required`` read roles decide."""
    links = []
    for label, name, help_text in SETTINGS_LINKS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        readers = getattr(resolve(url).func, "read_roles", None)
        if readers is not None and request.user.role not in readers:
            continue
        links.append({"label": label, "url": url, "help": help_text})
    return render(request, "settings_home.html", {"links": links})


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def api_me(request):
    u = request.user
    return Response(
        {
            "username": u.username,
            "full_name": u.full_name,
            "role": u.role,
            "cooperative": request.tenant.name,
        }
    )


# The API's own entry points, listed at /api/v1/ (the README names it).
API_ROOT_LINKS = [("me", "api-me"), ("schema", "api-schema"), ("docs", "api-docs")]


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def api_root(request):
    """/api/v1/: where the API's description and docs are (staff; members use the portal)."""
    if request.user.role not in STAFF:
        raise ApiPermissionDenied
    return Response(
        {
            "version": "1",
            **{key: request.build_absolute_uri(reverse(name)) for key, name in API_ROOT_LINKS},
        }
    )
