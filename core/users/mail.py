"""The e-mails with a link to set a password: a reset asked for at /lupa-sandi/, and an
invitation to set a first one (a login made without a password, a member invited to the
portal). Both are built and sent by a Celery task (``core.users.tasks``) that the request
queues when it commits (``core.common.mail``), in the cooperative's schema: the link is on
that cooperative's configured address and its token is that cooperative's
(``core.users.tokens``), valid nowhere else."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .forms import PasswordResetForm
from .models import User
from .tokens import password_link_tokens


def site_link_parts() -> tuple[str, str]:
    """``(scheme, host[:port])`` of the current cooperative's own address, from the
    configured site (``SITE_SCHEME``, its primary domain, ``SITE_PORT``) — never from the
    request's Host header, which the sender of a request chooses."""
    tenant = getattr(connection, "tenant", None)
    domain = settings.BASE_DOMAIN
    if tenant is not None and getattr(tenant, "schema_name", "public") != "public":
        primary = tenant.domains.filter(is_primary=True).order_by("pk").first()
        if primary is not None:
            domain = primary.domain
    port = settings.SITE_PORT
    suffix = f":{port}" if port not in ("", "80", "443") else ""
    return settings.SITE_SCHEME, f"{domain}{suffix}"


def _password_link_send(*, user: User, template: str, extra: dict | None = None) -> None:
    """One e-mail to ``user`` with a link to set a password (Django's reset context:
    ``protocol``, ``domain``, ``uid``, ``token``, ``user``…). A failure is raised: the
    task tries again (Django's reset form would log it and give up)."""
    scheme, domain = site_link_parts()
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": domain,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": password_link_tokens.make_token(user),
        "protocol": "https" if scheme == "https" else "http",
        **(extra or {}),
    }
    subject = "".join(
        render_to_string(f"registration/{template}_subject.txt", context).splitlines()
    )
    body = render_to_string(f"registration/{template}_email.txt", context)
    EmailMultiAlternatives(subject, body, None, [user.email]).send()


def password_reset_mail_send(*, email: str) -> int:
    """E-mail a reset link to each login of this cooperative a reset reaches at ``email``
    (``PasswordResetForm.get_users``: active with a usable password, or invited and never
    signed in); returns how many. None for an address no login has."""
    users = list(PasswordResetForm().get_users(email))
    for user in users:
        _password_link_send(user=user, template="password_reset")
    return len(users)


def invitation_mail_send(*, user_id: int) -> bool:
    """E-mail login ``user_id`` an invitation to set its first password; nothing (False)
    when it is deactivated, has no address, or has set a password since it was made."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or user.has_usable_password():
        return False
    _password_link_send(user=user, template="invitation", extra={"invited_user": user})
    return True
