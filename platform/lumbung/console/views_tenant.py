"""Support access, cooperative side: enter with the one-time link, end the session, and
the cooperative's own list of who looked and why."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_tenants.utils import schema_context

from core.common.errors import ApplicationError
from core.common.permissions import R, role_required

from .models import SupportSession
from .support import (
    SESSION_KEY,
    session_flag,
    support_link_check,
    support_session_end,
    support_session_enter,
)

SUPPORT_READERS = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PENGAWAS})


def _tenant(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        raise Http404
    return tenant


@never_cache
@require_http_methods(["GET", "POST"])
def support_enter(request, token: str):
    """The operator's one-time link: a GET shows the button (link previews and scanners
    open links), the button (POST) spends it and logs the support user in."""
    tenant = _tenant(request)
    try:
        if request.method != "POST":
            session = support_link_check(token=token, cooperative=tenant)
            context = {"session": session, "cooperative": tenant}
            return render(request, "console/support_enter.html", context)
        user, session = support_session_enter(token=token, cooperative=tenant)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
        return redirect("login")
    if request.user.is_authenticated:
        logout(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = session_flag(session)
    request.session.set_expiry(session.expires_at)
    messages.info(
        request,
        _("Sesi dukungan hanya-baca sampai %(t)s.")
        % {"t": timezone.localtime(session.expires_at).strftime("%H:%M")},
    )
    return redirect("home")


@require_POST
def support_end(request):
    _tenant(request)
    flag = request.session.get(SESSION_KEY)
    if flag:
        support_session_end(flag=flag, why="ended")
    logout(request)
    return redirect("login")


@role_required(read=SUPPORT_READERS, write=frozenset())
def support_sessions(request):
    """Who from Lumbung looked at this cooperative, when, and why."""
    tenant = _tenant(request)
    with schema_context("public"):
        sessions = list(
            SupportSession.objects.filter(cooperative_id=tenant.pk)
            .only(
                "operator_label",
                "reason",
                "created_at",
                "expires_at",
                "entered_at",
                "ended_at",
                "cooperative_id",
                "operator_id",
            )
            .order_by("-created_at")[:200]
        )
    return render(request, "console/tenant_support_sessions.html", {"sessions": sessions})
