"""Operators: who may do what across the cooperatives (the console, the operators'
billing screens), and the decorator every operator view wears.

Operators are users of the public schema with an ``operator_role``. Every console page
needs a session verified with the operator's TOTP device (django-otp): a password alone
never opens the console."""

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.users.models import User
from core.users.otp import otp_verified

OR = User.OperatorRole
SUPPORT, BILLING, ADMIN = OR.SUPPORT, OR.BILLING, OR.ADMIN
EVERY_OPERATOR = frozenset({SUPPORT, BILLING, ADMIN})

# action -> operator roles allowed to perform it (reading needs EVERY_OPERATOR).
ACTIONS: dict[str, frozenset] = {
    "suspend": frozenset({BILLING, ADMIN}),
    "reactivate": frozenset({BILLING, ADMIN}),
    "archive": frozenset({ADMIN}),
    "extend_trial": frozenset({BILLING, ADMIN}),
    "change_plan": frozenset({BILLING, ADMIN}),
    "record_payment": frozenset({BILLING, ADMIN}),
    "refund_credit": frozenset({BILLING, ADMIN}),
    "retry_provisioning": frozenset({ADMIN}),
    "add_domain": frozenset({ADMIN}),
    "export": frozenset({ADMIN}),
    "delete": frozenset({ADMIN}),
    "support": frozenset({SUPPORT, ADMIN}),
    "migrate": frozenset({ADMIN}),
    "stats_refresh": frozenset({SUPPORT, BILLING, ADMIN}),
    "pembina": frozenset({ADMIN}),  # create, re-scope, (de)activate Dinas officers
    "announce_terms": frozenset({ADMIN}),  # e-mail a new version of the terms, send again
}


def operator_refusal(user) -> PermissionDenied:
    """The 403 an operator (or another login on the console) is shown, in the console's
    words: not "ask the cooperative's admin" (403.html's words for a cooperative's
    staff)."""
    role = getattr(user, "operator_role", "")
    if not role:
        return PermissionDenied(_("Halaman ini hanya untuk operator Lumbung."))
    return PermissionDenied(
        _(
            "Peran operator Anda (%(role)s) tidak mengizinkan halaman atau tindakan ini. "
            "Jika Anda memerlukannya, minta operator admin Lumbung mengubah peran Anda."
        )
        % {"role": OR(role).label}
    )


def can(user, action: str) -> bool:
    return bool(
        user and user.is_authenticated and getattr(user, "operator_role", "") in ACTIONS[action]
    )


def operator_required(*, roles=EVERY_OPERATOR, action: str | None = None):
    """Console views: only on the apex host, only operators, only after 2FA; ``action``
    (a key of ACTIONS) narrows the roles."""
    allowed = ACTIONS[action] if action else frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if getattr(connection, "schema_name", "public") != settings.PUBLIC_SCHEMA_NAME:
                raise Http404
            user = request.user
            if not user.is_authenticated:
                login = reverse("console:login")
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            if not user.operator_role:
                raise operator_refusal(user)
            if not otp_verified(request):
                login = reverse("console:login")
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            if user.operator_role not in allowed:
                raise operator_refusal(user)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
