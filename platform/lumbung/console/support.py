"""Support access: an operator opens a cooperative read-only, with a reason and an
expiry.

1. At the apex, ``support_session_start`` records a SupportSession (public schema),
   writes an audit row on both sides (the operator's in the public schema, and one in
   the cooperative's own audit log naming the operator and the reason) and returns a
   signed one-time link to the cooperative's host, valid ``LINK_MAX_AGE`` seconds.
2. At the cooperative's host, ``support_session_enter`` spends the link and returns the
   cooperative-side support user (role pengawas: reads everything, writes nothing, no
   usable password). The view logs it in with the session flagged ``SESSION_KEY``.
3. ``SupportSessionMiddleware`` keeps that session read-only (every unsafe method is
   refused) and ends it at the expiry. The cooperative's staff see the sessions on
   /dukungan/ and in their audit log.
4. Ending the session (the "Akhiri" button, the expiry seen by the middleware, or
   ``support_sessions_expire`` every few minutes for a browser simply closed) deactivates
   the support user unless the same operator has another open session there. The user
   is never one of the cooperative's people: staff counts leave it out
   (``core.users.selectors.staff_people``).

The operator's own apex session never works at a cooperative host: sessions and users
live in each schema (and the cookie is host-only)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.audit.services import audit_log
from core.common.errors import ApplicationError, reason_required
from core.users.models import SUPPORT_USERNAME_PREFIX, User
from lumbung.console.audit import ConsoleAudit
from lumbung.console.errors import ConsoleErrors
from tenants.models import Cooperative
from tenants.operators import can
from tenants.services import tenant_url

from .models import SupportSession

SALT = "lumbung.console.support"
LINK_MAX_AGE = 120
SESSION_KEY = "lumbung_support"
USERNAME_PREFIX = SUPPORT_USERNAME_PREFIX  # defined in core: core counts staff without it
MIN_MINUTES, MAX_MINUTES = 5, 240
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# /dukungan/masuk/: the button of a new support link, pressed inside a support session
WRITABLE_PATHS = ("/keluar/", "/i18n/", "/dukungan/akhiri/", "/dukungan/masuk/")


def operator_label(operator) -> str:
    name = operator.full_name or operator.get_username()
    return f"{name} <{operator.email or operator.get_username()}>"


def _refuse(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, status=400)


@transaction.atomic
def support_session_start(
    *, operator, cooperative: Cooperative, reason: str, minutes: int
) -> tuple[SupportSession, str]:
    """Record a support session and return it with the one-time link to the cooperative."""
    if not can(operator, "support"):
        raise ApplicationError(
            ConsoleErrors.FORBIDDEN,
            _("Peran operator Anda tidak mengizinkan akses dukungan."),
            status=403,
        )
    reason = reason_required(
        reason,
        code=ConsoleErrors.REASON_REQUIRED,
        message=_("Tuliskan alasan membuka data koperasi ini."),
    )
    if not MIN_MINUTES <= int(minutes) <= MAX_MINUTES:
        raise ApplicationError(
            ConsoleErrors.SUPPORT_DURATION_INVALID,
            _("Lama sesi antara %(a)s dan %(b)s menit.") % {"a": MIN_MINUTES, "b": MAX_MINUTES},
            fields={"minutes": [_("Di luar batas.")]},
        )
    if cooperative.is_public or cooperative.status in (
        Cooperative.Status.PROVISIONING,
        Cooperative.Status.FAILED,
        Cooperative.Status.ARCHIVED,
    ):
        raise ApplicationError(
            ConsoleErrors.STATE_INVALID,
            _("Koperasi ini tidak dapat dibuka (status: %(s)s).")
            % {"s": cooperative.get_status_display()},
        )
    now = timezone.now()
    label = operator_label(operator)
    session = SupportSession.objects.create(
        operator=operator,
        operator_label=label,
        cooperative=cooperative,
        reason=reason,
        expires_at=now + timedelta(minutes=int(minutes)),
    )
    data = {"support_session": session.pk, "expires_at": session.expires_at.isoformat()}
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_SUPPORT_SESSION_STARTED,
        target=cooperative,
        reason=reason,
        data=data,
    )
    with schema_context(cooperative.schema_name):
        audit_log(
            actor=_("%(who)s (tim dukungan Lumbung)") % {"who": label},
            action=ConsoleAudit.SUPPORT_SESSION_STARTED,
            reason=reason,
            data=data | {"operator": label, "read_only": True},
        )
    token = signing.dumps({"sid": session.pk, "c": cooperative.pk}, salt=SALT)
    return session, f"{tenant_url(cooperative.slug)}dukungan/masuk/{token}/"


def _support_username(operator_id: int) -> str:
    return f"{USERNAME_PREFIX}{operator_id}"


def _support_user(session: SupportSession):
    """The cooperative-side user for this operator (in the current tenant schema)."""
    user, _created = User.objects.get_or_create(
        username=_support_username(session.operator_id),
        defaults={"email": ""},
    )
    user.full_name = _("Dukungan Lumbung · %(who)s") % {"who": session.operator_label}
    user.full_name = user.full_name[:200]
    user.role = User.Role.PENGAWAS
    user.is_active = True
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    return user


def _support_link_session(*, token: str, cooperative: Cooperative, lock: bool) -> SupportSession:
    """The session a support link opens, refused when forged, for another cooperative,
    or already entered, ended or past its expiry. Runs in the public schema."""
    invalid = _("Tautan akses dukungan tidak berlaku.")
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        raise _refuse("support_link_invalid", invalid)
    if payload.get("c") != cooperative.pk:
        raise _refuse("support_link_invalid", invalid)
    sessions = SupportSession.objects.filter(pk=payload.get("sid"), cooperative_id=cooperative.pk)
    if lock:
        sessions = sessions.select_for_update(of=("self",))
    session = sessions.first()
    if (
        session is None
        or session.entered_at
        or session.ended_at
        or session.expires_at <= timezone.now()
    ):
        raise _refuse("support_link_used", _("Tautan akses dukungan sudah dipakai atau habis."))
    return session


def support_link_check(*, token: str, cooperative: Cooperative) -> SupportSession:
    """The session a support link would open, spending nothing (the page a GET of the
    link shows). Refused as ``support_session_enter`` refuses."""
    with schema_context("public"):
        return _support_link_session(token=token, cooperative=cooperative, lock=False)


@transaction.atomic
def support_session_enter(*, token: str, cooperative: Cooperative):
    """Spend a support link at the cooperative's host. Returns (user, session)."""
    now = timezone.now()
    with schema_context("public"):
        session = _support_link_session(token=token, cooperative=cooperative, lock=True)
        session.entered_at = now
        session.save(update_fields=["entered_at"])
    user = _support_user(session)
    audit_log(
        actor=_("%(who)s (tim dukungan Lumbung)") % {"who": session.operator_label},
        action=ConsoleAudit.SUPPORT_SESSION_OPENED,
        reason=session.reason,
        data={"support_session": session.pk, "expires_at": session.expires_at.isoformat()},
    )
    return user, session


def session_flag(session: SupportSession) -> dict:
    return {
        "sid": session.pk,
        "exp": int(session.expires_at.timestamp()),
        "who": session.operator_label,
        "reason": session.reason,
    }


@transaction.atomic
def support_session_end(*, flag: dict, why: str) -> None:
    """Close a support session (logout or expiry), recorded on both sides, and
    deactivate the support user unless its operator has another open session here.
    Runs in the cooperative's schema; a session already closed is not recorded twice."""
    now = timezone.now()
    with schema_context("public"):
        session = (
            SupportSession.objects.select_for_update(of=("self",))
            .filter(pk=flag.get("sid"))
            .first()
        )
        if session is None:
            return
        already_ended = session.ended_at is not None
        if not already_ended:
            session.ended_at = now
            session.save(update_fields=["ended_at"])
        still_open = (
            SupportSession.objects.filter(
                operator_id=session.operator_id,
                cooperative_id=session.cooperative_id,
                entered_at__isnull=False,
                ended_at__isnull=True,
                expires_at__gt=now,
            )
            .exclude(pk=session.pk)
            .exists()
        )
    if not still_open:
        User.objects.filter(username=_support_username(session.operator_id)).update(is_active=False)
    if already_ended:
        return
    audit_log(
        actor=_("%(who)s (tim dukungan Lumbung)") % {"who": flag.get("who", "?")},
        action=ConsoleAudit.SUPPORT_SESSION_ENDED,
        reason=flag.get("reason", ""),
        data={"support_session": flag.get("sid"), "why": why},
    )


def support_sessions_expire(*, now=None) -> int:
    """Periodic: end the sessions that were entered and are past their expiry but were
    never closed (the browser was closed: no request reached the middleware), so their
    support users are deactivated. Returns how many were ended."""
    now = now or timezone.now()
    with schema_context("public"):
        stale = list(
            SupportSession.objects.filter(
                entered_at__isnull=False, ended_at__isnull=True, expires_at__lte=now
            )
            .select_related("cooperative")
            .order_by("pk")
        )
    for session in stale:
        with schema_context(session.cooperative.schema_name):
            support_session_end(flag=session_flag(session), why="expired")
    return len(stale)


class SupportSessionMiddleware:
    """On cooperative hosts: a support session is read-only and ends at its expiry; a
    support user without a support session is logged out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(connection, "schema_name", "public") == "public":
            return self.get_response(request)
        user = getattr(request, "user", None)
        flag = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if flag:
            if time.time() >= flag.get("exp", 0):
                support_session_end(flag=flag, why="expired")
                logout(request)
                messages.info(request, _("Sesi dukungan telah berakhir."))

                return redirect_to_login(request.get_full_path())
            request.support_session = flag
            if request.method not in SAFE_METHODS and not request.path.startswith(WRITABLE_PATHS):
                return self._read_only(request)
        elif (
            user is not None
            and user.is_authenticated
            and user.get_username().startswith(USERNAME_PREFIX)
        ):
            logout(request)
        return self.get_response(request)

    def _read_only(self, request):
        message = _("Sesi dukungan Lumbung hanya dapat membaca data; perubahan tidak diizinkan.")
        if request.path.startswith("/api/") or "application/json" in request.headers.get(
            "Accept", ""
        ):
            return JsonResponse(
                {"error": {"code": "support_read_only", "message": message, "fields": {}}},
                status=403,
            )
        html = render_to_string(
            "console/support_read_only.html", {"message": message}, request=request
        )
        return HttpResponse(html, status=403)
