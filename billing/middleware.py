"""Subscription state on the cooperative's host.

- suspended: read-only. Every non-safe request (POST/PUT/PATCH/DELETE) is refused with a
  clear message and a link to pay, except logging in/out, the billing payment pages and
  the Dinas sharing consent.
  Pages, exports and members' own balances still work. A suspension an operator made
  (``Subscription.suspended_by_operator``) is not lifted by paying: its refusals and
  banner say the Lumbung team suspended it, the reason the operator typed, and to
  contact them, with no link to pay.
- archived: nobody logs in; every page says the true reason and what to do: archived by
  an operator (``Subscription.archived_by_operator``, with ``operator_reason``: paying
  does not reopen it, contact the Lumbung team), by the sweep after an operator's
  suspension lasted too long (the same, with the suspension's reason), or by the sweep
  for an unpaid bill (pay, through the Lumbung team: access returns once confirmed).
- past_due / over the plan's member limit / trial ending: ``request.billing_banner`` is
  set for the template (billing/_banner.html) and nothing is blocked.
- a practice copy (its own row is always active) follows its real cooperative: archived
  or suspended there means the same here, with the same messages.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tenants.models import Cooperative

from .models import Invoice, Notice, PaymentProof, Plan, Subscription
from .notices import notice_shown
from .selectors import suspension_on

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Paths that stay writable while suspended: signing in/out, language, paying, and the
# consent to share figures with the Dinas (withdrawing it never waits for a payment).
WRITABLE_WHILE_SUSPENDED = (
    "/masuk/",
    "/keluar/",
    # one's own account security is not the cooperative's data: a forgotten password is
    # reset (to sign in and pay), a leaked one changed, two-step set up or turned off
    "/lupa-sandi/",
    "/atur-sandi/",
    "/akun/kata-sandi/",
    "/akun/dua-langkah/",
    "/i18n/",
    "/pengaturan/dinas/",
    "/langganan/bayar/",
    "/langganan/kelola/",
    "/langganan/transfer/",
)
S = Subscription.Status


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def _refuse(
    request: HttpRequest, *, code: str, message: str, status: int, pay: bool = True
) -> HttpResponse:
    pay_url = "/langganan/" if pay else None
    if _wants_json(request):
        return JsonResponse(
            {"error": {"code": code, "message": message, "fields": {}, "pay_url": pay_url}},
            status=status,
        )
    html = render_to_string(
        "billing/refused.html",
        {"message": message, "pay_url": pay_url, "code": code},
        request=request,
    )
    return HttpResponse(html, status=status)


class SubscriptionStatusMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or getattr(connection, "schema_name", "public") == "public":
            return self.get_response(request)
        status = _status(tenant)
        if status == S.ARCHIVED:
            return _refuse(
                request,
                code="tenant_archived",
                message=_archived_message(_closure(tenant)),
                status=403,
                pay=False,  # the subscription page is closed too: never a link to it
            )
        closure = _closure(tenant) if status == S.SUSPENDED else None
        by_operator = closure is not None and closure.suspended_by_operator
        if (
            status == S.SUSPENDED
            and request.method not in SAFE_METHODS
            and not request.path.startswith(WRITABLE_WHILE_SUSPENDED)
        ):
            if by_operator:
                message = _(
                    "Akses koperasi sedang ditangguhkan oleh tim Lumbung: data hanya "
                    "dapat dilihat, perubahan tidak disimpan. Hubungi tim Lumbung untuk "
                    "membukanya kembali."
                )
                return _refuse(
                    request,
                    code="tenant_read_only",
                    message=_with_reason(message, closure.operator_reason),
                    status=403,
                    pay=False,
                )
            return _refuse(
                request,
                code="tenant_read_only",
                message=_(
                    "Akses koperasi sedang ditangguhkan karena tagihan langganan belum "
                    "dibayar: data hanya dapat dilihat, perubahan tidak disimpan. Bayar "
                    "tagihan di halaman Langganan untuk memulihkan akses seketika."
                ),
                status=403,
            )
        request.billing_banner = _banner(
            request,
            tenant,
            status,
            by_operator=by_operator,
            reason=closure.operator_reason if by_operator else "",
        )
        return self.get_response(request)


def _status(tenant) -> str:
    """The state that governs this host: a practice copy takes its real cooperative's
    when that one is archived or suspended (one small query, practice hosts only)."""
    if getattr(tenant, "is_practice", False) and tenant.practice_of_id:
        real = (
            Cooperative.objects.filter(pk=tenant.practice_of_id)
            .values_list("status", flat=True)
            .first()
        )
        if real in (S.ARCHIVED, S.SUSPENDED):
            return real
    return tenant.status


class _Closure(NamedTuple):
    suspended_by_operator: bool
    archived_by_operator: bool
    operator_reason: str
    archive_after_days: int


def _closure(tenant) -> _Closure | None:
    """Who closed the cooperative governing this host (a practice copy: its real
    cooperative) and why: an operator (with the reason typed) or the daily sweep for an
    unpaid bill. One small query, for suspended and archived cooperatives only. None
    without a subscription (never billed)."""
    cooperative_id = (
        tenant.practice_of_id
        if getattr(tenant, "is_practice", False) and tenant.practice_of_id
        else tenant.pk
    )
    row = (
        Subscription.objects.filter(cooperative_id=cooperative_id)
        .values_list(
            "suspended_by_operator", "archived_by_operator", "operator_reason", "archive_after_days"
        )
        .first()
    )
    if row is None:
        return None
    days = row[3] or settings.BILLING_ARCHIVE_AFTER_DAYS
    return _Closure(bool(row[0]), bool(row[1]), row[2] or "", days)


def _with_reason(message: str, reason: str) -> str:
    reason = reason.strip().rstrip(".")
    if not reason:
        return message
    return f"{message} " + _("Alasan: %(reason)s.") % {"reason": reason}


def _archived_message(closure: _Closure | None) -> str:
    """The true reason an archived cooperative is closed, and what it can do."""
    if closure is None or closure.archived_by_operator:
        # an operator's decision (a cooperative never billed cannot have been archived
        # by the sweep)
        return (
            _with_reason(
                _("Koperasi ini telah diarsipkan oleh tim Lumbung."),
                closure.operator_reason if closure else "",
            )
            + " "
            + _(
                "Data tetap tersimpan. Membayar tagihan tidak membukanya kembali: hubungi tim "
                "Lumbung (balas e-mail pemberitahuan dari Lumbung yang dikirim ke alamat "
                "e-mail koperasi) untuk membicarakan keputusan ini, membukanya kembali atau "
                "mengekspor data."
            )
        )
    if closure.suspended_by_operator:
        # the sweep archived a suspension an operator made (it lasted too long)
        return (
            _(
                "Koperasi ini telah diarsipkan setelah aksesnya ditangguhkan oleh tim Lumbung "
                "lebih dari %(days)s hari."
            )
            % {"days": closure.archive_after_days}
            + (
                " " + _("Alasan penangguhan: %(reason)s.") % {"reason": closure.operator_reason}
                if closure.operator_reason.strip()
                else ""
            )
            + " "
            + _(
                "Data tetap tersimpan. Membayar tagihan tidak membukanya kembali: hubungi tim "
                "Lumbung (balas e-mail pemberitahuan dari Lumbung yang dikirim ke alamat "
                "e-mail koperasi) untuk membukanya kembali atau mengekspor data."
            )
        )
    return _(
        "Koperasi ini telah diarsipkan karena tagihan langganan tidak dibayar: aksesnya "
        "ditangguhkan lebih dari %(days)s hari tanpa pembayaran. Data tetap tersimpan. "
        "Untuk membukanya kembali, bayar tagihannya: hubungi tim Lumbung (balas e-mail "
        "tagihan dari Lumbung yang dikirim ke alamat e-mail koperasi) untuk tagihan dan "
        "cara membayarnya dengan transfer bank; akses pulih setelah pembayaran "
        "dikonfirmasi."
    ) % {"days": closure.archive_after_days}


def _banner(
    request: HttpRequest, tenant, status: str, *, by_operator: bool = False, reason: str = ""
) -> dict | None:
    """What the cooperative's staff should see at the top of every page, if anything.
    Members (anggota) and visitors see no billing notices."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", "") if user is not None and user.is_authenticated else ""
    if not role or role == "anggota":
        return None
    if status == S.SUSPENDED and by_operator:
        return {
            "level": "err",
            "text": _with_reason(
                _("Akses ditangguhkan oleh tim Lumbung: data hanya dapat dibaca."), reason
            ),
        }
    if status == S.SUSPENDED:
        return {
            "level": "err",
            "text": _("Akses ditangguhkan: data hanya dapat dibaca sampai tagihan dibayar."),
        }
    if status == S.PAST_DUE:
        suspend_on = _suspension_on(tenant.pk)
        if suspend_on is not None:
            return {
                "level": "warn",
                "text": _(
                    "Pembayaran langganan terlambat. Semua fitur tetap berjalan; bila belum "
                    "dibayar, akses menjadi hanya baca mulai %(date)s."
                )
                % {"date": date_format(suspend_on)},
            }
        return {
            "level": "warn",
            "text": _(
                "Pembayaran langganan terlambat. Semua fitur tetap berjalan; mohon segera bayar."
            ),
        }
    if role not in ("admin", "bendahara"):
        return None
    sub = _subscription_for_banner(tenant.pk)
    if sub is None:
        return None
    if sub.over_limit_since:
        return {
            "level": "warn",
            "text": _(
                "Jumlah anggota aktif (%(n)s) melebihi batas paket %(plan)s (%(max)s). "
                "Pekerjaan tetap berjalan; silakan pindah ke paket yang lebih besar."
            )
            % {
                "n": _num(sub.active_members),
                "plan": sub.plan_name,
                "max": _num(sub.plan_max_members),
            },
        }
    # Stripe warns of the trial's end itself only for a card still on trial
    if status == S.TRIAL and sub.trial_ends_at and sub.stripe_status != "trialing":
        # calendar days to the trial's last day (whole 24-hour spans said "dalam 0 hari"
        # of a trial ending tomorrow, "dalam 2 hari" of one ending in three days)
        ends = timezone.localdate(sub.trial_ends_at)
        days = (ends - timezone.localdate()).days
        if days <= 0:
            return {
                "level": "warn",
                "text": _("Masa uji coba berakhir hari ini. Pilih paket dan bayar."),
            }
        if days <= 7:
            return {
                "level": "warn",
                "text": _(
                    "Masa uji coba berakhir dalam %(d)s hari, %(date)s. Pilih paket dan bayar."
                )
                % {"d": days, "date": date_format(ends)},
            }
    if sub.recent_notice is not None:
        # said again in the reader's language (``billing.notices``)
        params = sub.recent_notice_params
        text = notice_shown(
            kind=sub.recent_notice_kind,
            params=json.loads(params) if isinstance(params, str) else params,
            message=sub.recent_notice,
        )
        return {"level": "warn", "text": text}
    return None


def _suspension_on(cooperative_id: int):
    """The day a past-due cooperative becomes read-only if unpaid (one small query,
    past-due cooperatives only)."""
    sub = (
        Subscription.objects.filter(cooperative_id=cooperative_id)
        .only("status", "past_due_since")
        .first()
    )
    return None if sub is None else suspension_on(subscription=sub)


class _BannerRow(NamedTuple):
    over_limit_since: datetime | None
    active_members: int | None
    plan_name: str
    plan_max_members: int | None
    trial_ends_at: datetime | None
    stripe_status: str
    recent_notice: str | None
    recent_notice_kind: str | None
    recent_notice_params: dict | str | None


# The subscription, its plan and its latest notice of the last three days in one query
# (a proof's rejection no longer, once a proof was sent after it).
# This runs on every page an admin or bendahara opens: written out in SQL, it costs
# 0.2 ms of CPU here against 3 ms for the same query built by the ORM each time.
_BANNER_SQL = f"""
    SELECT s.over_limit_since, s.active_members, p.name, p.max_members, s.trial_ends_at,
           s.stripe_status, n.message, n.kind, n.params
      FROM {Subscription._meta.db_table} s JOIN {Plan._meta.db_table} p ON p.id = s.plan_id
      LEFT JOIN LATERAL (
           SELECT n.message, n.kind, n.params FROM {Notice._meta.db_table} n
            WHERE n.subscription_id = s.id AND n.created_at >= %s
              AND NOT (n.kind = 'proof_rejected' AND EXISTS (
                  SELECT 1 FROM {PaymentProof._meta.db_table} pp
                    JOIN {Invoice._meta.db_table} i ON i.id = pp.invoice_id
                   WHERE i.subscription_id = s.id AND pp.created_at > n.created_at))
            ORDER BY n.created_at DESC, n.id DESC LIMIT 1) n ON true
     WHERE s.cooperative_id = %s
"""


def _subscription_for_banner(cooperative_id: int) -> _BannerRow | None:
    with connection.cursor() as cursor:
        cursor.execute(_BANNER_SQL, [timezone.now() - timedelta(days=3), cooperative_id])
        row = cursor.fetchone()
    return None if row is None else _BannerRow(*row)


def _num(n: int | None) -> str:
    return f"{n or 0:,}".replace(",", ".")
