"""The decorator every Dinas view wears, and the area check.

A pembina is a public-schema user with a ``Pembina`` row. Every Dinas page needs a
session verified with the pembina's TOTP device (as the operator console does). A
cooperative outside the pembina's area, or one that does not share, is refused with 403
and an audit row in the public audit log."""

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.users.otp import otp_verified
from lumbung.dinas.audit import DinasAudit
from tenants.models import Cooperative

from .models import Pembina
from .selectors import SHOWN_STATUSES


def pembina_of(user) -> Pembina | None:
    if not (user and user.is_authenticated and user.is_active):
        return None
    return Pembina.objects.filter(user_id=user.pk).first()


def pembina_required(view):
    """Apex host only, a pembina only, after TOTP; the view gets ``request.pembina``."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if getattr(connection, "schema_name", "public") != settings.PUBLIC_SCHEMA_NAME:
            raise Http404
        login = f"{reverse('dinas:login')}?{urlencode({'next': request.get_full_path()})}"
        if not request.user.is_authenticated:
            return redirect(login)
        pembina = pembina_of(request.user)
        if pembina is None:
            raise PermissionDenied
        if not otp_verified(request):
            return redirect(login)
        request.pembina = pembina
        return view(request, *args, **kwargs)

    return wrapped


def cooperative_for(request, pk: int) -> Cooperative:
    """The cooperative ``pk`` if it is in the pembina's area and shares its indicators;
    otherwise an audited 403 (the refusal names no figure of it). One that has left
    Lumbung (archived), like a practice copy, is not found (404), as in the table."""
    pembina: Pembina = request.pembina
    coop = (
        Cooperative.objects.filter(pk=pk, is_practice=False).exclude(schema_name="public").first()
    )
    if coop is None:
        raise Http404
    shared = bool(getattr(getattr(coop, "dinas_sharing", None), "shared", False))
    in_area = pembina.covers(province=coop.province, regency=coop.regency)
    if not (in_area and shared):
        audit_log(
            actor=request.user,
            action=DinasAudit.REFUSED,
            target=coop,
            data={
                "path": request.path,
                "reason": "outside_area" if not in_area else "not_shared",
                "area": pembina.area_label,
            },
        )
        # Shown by 403.html in place of its "ask your admin for another role": which of
        # the two it is stays unsaid (not shared would tell it is in the area).
        raise PermissionDenied(
            _(
                "Koperasi ini tidak ada di wilayah Anda atau tidak membagikan indikatornya "
                "dengan Dinas Koperasi."
            )
        )
    if coop.status not in SHOWN_STATUSES:  # left Lumbung (archived): not listed anywhere
        raise Http404
    return coop
