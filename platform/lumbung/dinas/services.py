"""Writes of the Dinas app: creating or re-scoping a pembina (operators only)."""

from __future__ import annotations

import secrets

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.users.models import User
from core.users.services import user_sessions_end
from lumbung.dinas.audit import DinasAudit
from lumbung.dinas.errors import DinasErrors
from tenants.regions import province_names, regencies_of
from tenants.validators import validate_email_length

from .models import Pembina


@transaction.atomic
def pembina_create(
    *, email: str, province: str, regency: str = "", name: str = "", by
) -> tuple[Pembina, str]:
    """Create a pembina (a public-schema user with an area), or change the area of an
    existing one. Returns the pembina and the generated password ("" when the user
    already existed). An operator account cannot be a pembina."""
    connection.set_schema_to_public()
    email = email.strip().lower()
    province = province.strip()
    regency = regency.strip()
    if "@" not in email:
        raise ApplicationError(
            DinasErrors.INVALID_EMAIL,
            _("Alamat e-mail tidak sah."),
            fields={"email": [_("Alamat e-mail tidak sah.")]},
        )
    validate_email_length(email, code=DinasErrors.INVALID_EMAIL)  # it becomes the username
    if province not in province_names():
        raise ApplicationError(
            DinasErrors.UNKNOWN_PROVINCE,
            _("Provinsi '%(p)s' tidak dikenal.") % {"p": province},
            fields={"province": [_("Provinsi tidak dikenal.")]},
        )
    if regency and regency not in regencies_of(province):
        raise ApplicationError(
            DinasErrors.UNKNOWN_REGENCY,
            _("Kabupaten/kota '%(r)s' tidak ada di %(p)s.") % {"r": regency, "p": province},
            fields={"regency": [_("Kabupaten/kota tidak ada di provinsi ini.")]},
        )
    user = User.objects.select_for_update().filter(username=email).first()
    password = ""
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            username=email, email=email, password=password, full_name=name or email
        )
    elif user.operator_role or user.is_superuser:
        raise ApplicationError(
            DinasErrors.OPERATOR_NOT_PEMBINA,
            _("Akun operator tidak dapat dijadikan pembina; pakai e-mail lain."),
        )
    pembina, created = Pembina.objects.update_or_create(
        user=user,
        defaults={"province": province, "regency": regency, "created_by": str(by)[:200]},
    )
    audit_log(
        actor=by,
        action=DinasAudit.PEMBINA_CREATE if created else DinasAudit.PEMBINA_RESCOPE,
        target=pembina,
        data={"province": province, "regency": regency, "email": email},
    )
    return pembina, password


@transaction.atomic
def pembina_active_set(*, pembina: Pembina, active: bool, by, reason: str = "") -> Pembina:
    """Deactivate a pembina (the login stops working at once, its open sessions are
    deleted) or activate it again. Audited with the reason."""
    connection.set_schema_to_public()
    user = User.objects.select_for_update().get(pk=pembina.user_id)
    if user.is_active == active:
        raise ApplicationError(
            DinasErrors.PEMBINA_UNCHANGED,
            _("Pembina ini sudah aktif.") if active else _("Pembina ini sudah nonaktif."),
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        user_sessions_end(user=user)  # for good: a reactivation must not bring them back
    audit_log(
        actor=by,
        action=DinasAudit.PEMBINA_ACTIVATE if active else DinasAudit.PEMBINA_DEACTIVATE,
        target=pembina,
        reason=reason,
        data={"email": user.username, "area": pembina.area_label},
    )
    pembina.user = user
    return pembina
