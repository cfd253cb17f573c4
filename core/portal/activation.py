"""Members activate their own portal login, and admins invite members in bulk.

Self-activation, in two steps:
1. The member gives their member number, their NIP *or* date of birth, and an e-mail
   address. The request only queues the check when it commits (``portal_activation_ask``;
   the view rate-limits it per client and per member number) and shows one generic
   answer: nothing is looked up in the request, so neither the answer nor the time it
   takes tells anybody which members exist. The task (``portal_activation_request``):
   when the details match an active member without a login and the address is free, a
   signed link (valid ``ACTIVATION_MAX_AGE``, made in the task, in the cooperative's
   schema) is e-mailed to that address by a second task (``activation_mail_send``), which
   tries again when the mail server fails, then logs it (``core.common.mail``).
2. ``portal_activation_complete``: the link's holder sets a password; the ``anggota``
   login is created with the verified e-mail and linked to the member. The link works
   once: afterwards the member has a login and the token is refused.

Both steps are audited (``portal.activation_requested`` / ``portal.activated``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.audit.services import audit_log, audit_log_bulk
from core.common.errors import ApplicationError
from core.common.mail import mail_task_queue_on_commit
from core.members.models import Member
from core.portal.audit import PortalAudit
from core.portal.errors import PortalErrors
from core.users.mail import site_link_parts
from core.users.models import User
from core.users.tasks import invitation_mail_task

from .tasks import portal_activation_mail_task, portal_activation_request_task

ACTIVATION_SALT = "lumbung.portal.activation"
ACTIVATION_MAX_AGE = 24 * 3600
# A member's login is their e-mail address, so an address longer than a login holds (150;
# e-mail allows 254, as the members' address field does) cannot be one.
LOGIN_EMAIL_MAX = User._meta.get_field("username").max_length


def _norm_email(email: str) -> str:
    return (email or "").strip().lower()


def _email_taken(email: str) -> bool:
    return (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    )


def _member_matching(*, number: str, nip: str, birth_date: dt.date | None) -> Member | None:
    """The active member without a login whose number and NIP (or date of birth) match."""
    number = (number or "").strip()
    nip = "".join((nip or "").split())
    if not number or not (nip or birth_date):
        return None
    member = (
        Member.objects.filter(number=number, status=Member.Status.ACTIVE, user__isnull=True)
        .select_for_update()
        .first()
    )
    if member is None:
        return None
    if nip and member.nip == nip:
        return member
    if birth_date and member.birth_date and member.birth_date == birth_date:
        return member
    return None


def activation_token(*, member: Member, email: str) -> str:
    """The signed link's token: the member, the e-mail and the cooperative's schema. Member
    ids repeat from one cooperative to the next (each schema counts from 1) and every
    cooperative signs with the same key, so the schema binds the link to the cooperative
    that issued it (``activation_read`` refuses it on any other host)."""
    return signing.dumps(
        {"m": member.pk, "e": email, "s": connection.schema_name},
        salt=ACTIVATION_SALT,
        compress=True,
    )


def activation_mail_send(*, member_id: int, email: str) -> bool:
    """E-mail the activation link of member ``member_id`` to ``email`` (the link made
    here, in this cooperative's schema); nothing (False) when the member has a login or
    left since, or another login took the address. A failure of the mail server is
    raised: the task tries again."""
    member = Member.objects.filter(
        pk=member_id, status=Member.Status.ACTIVE, user__isnull=True
    ).first()
    if member is None or _email_taken(email):
        return False
    token = activation_token(member=member, email=email)
    scheme, domain = site_link_parts()
    link = f"{scheme}://{domain}{reverse('portal-activate-confirm', args=[token])}"
    ctx = {"member": member, "link": link, "domain": domain, "hours": ACTIVATION_MAX_AGE // 3600}
    subject = render_to_string("portal/activation_subject.txt", ctx).strip()
    body = render_to_string("portal/activation_email.txt", ctx)
    send_mail(subject, body, None, [email])
    return True


def portal_activation_ask(
    *, number: str, nip: str = "", birth_date: dt.date | None = None, email: str
) -> None:
    """The request's part of a self-activation: queue ``portal_activation_request`` (a
    task) when the request commits, in the page's language. Nothing is read or written
    here, so every request does the same work whatever it matches."""
    mail_task_queue_on_commit(
        portal_activation_request_task,
        number=number,
        nip=nip or "",
        birth_date=birth_date.isoformat() if birth_date else "",
        email=email,
        language=translation.get_language() or "",
    )


@transaction.atomic
def portal_activation_request(
    *,
    number: str,
    nip: str = "",
    birth_date: dt.date | None = None,
    email: str,
    language: str = "",
) -> bool:
    """Queue the activation link's e-mail (after commit) when the details match a member
    without a login and the address is free; audited either way it is decided. Returns
    whether a link is sent — for tests and the audit only: nobody who asked sees it."""
    email = _norm_email(email)
    if not email or len(email) > LOGIN_EMAIL_MAX:  # the form says so; no login could hold it
        return False
    member = _member_matching(number=number, nip=nip, birth_date=birth_date)
    if member is None:
        return False
    if _email_taken(email):
        audit_log(
            actor="portal",
            action=PortalAudit.ACTIVATION_REFUSED,
            target=member,
            data={"reason": "email_taken"},
        )
        return False
    audit_log(
        actor="portal",
        action=PortalAudit.ACTIVATION_REQUESTED,
        target=member,
        data={"email": email, "by": "nip" if nip else "birth_date"},
    )
    mail_task_queue_on_commit(
        portal_activation_mail_task, member_id=member.pk, email=email, language=language
    )
    return True


def activation_read(token: str) -> tuple[Member, str]:
    """The member and e-mail of a valid, unused activation link; ApplicationError when
    the link is expired, forged or already used."""
    invalid = ApplicationError(
        PortalErrors.ACTIVATION_INVALID,
        _("Tautan aktivasi tidak berlaku atau sudah dipakai. Silakan minta tautan baru."),
    )
    try:
        payload = signing.loads(token, salt=ACTIVATION_SALT, max_age=ACTIVATION_MAX_AGE)
    except signing.BadSignature:
        raise invalid from None
    if payload.get("s") != connection.schema_name:  # issued by another cooperative
        raise invalid
    member = Member.objects.filter(
        pk=payload.get("m"), status=Member.Status.ACTIVE, user__isnull=True
    ).first()
    email = _norm_email(payload.get("e", ""))
    if member is None or not email or len(email) > LOGIN_EMAIL_MAX or _email_taken(email):
        raise invalid
    return member, email


@transaction.atomic
def portal_activation_complete(*, token: str, password: str) -> User:
    """Create the member's ``anggota`` login with the verified e-mail and ``password``,
    linked to the member."""
    member, email = activation_read(token)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.user_id:
        raise ApplicationError(
            PortalErrors.ACTIVATION_INVALID,
            _("Tautan aktivasi tidak berlaku atau sudah dipakai. Silakan minta tautan baru."),
        )
    user = User(
        username=email,
        email=email,
        full_name=member.full_name,
        role=User.Role.ANGGOTA,
        is_staff=False,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError(
            PortalErrors.WEAK_PASSWORD,
            _("Kata sandi terlalu lemah."),
            fields={"password1": exc.messages},
        ) from None
    user.set_password(password)
    user.save()
    member.user = user
    member.save(update_fields=["user"])
    audit_log(actor=user, action=PortalAudit.ACTIVATED, target=user, data={"member": member.number})
    return user


# ------------------------------------------------------------------ bulk invitations


def members_invitable():
    """Active members with an e-mail address and no login yet, by number."""
    return (
        Member.objects.filter(status=Member.Status.ACTIVE, user__isnull=True)
        .exclude(email="")
        .select_related("agency")
        .order_by("number")
    )


@dataclass
class Invitations:
    invited: list[User] = field(default_factory=list)
    # left out: their e-mail is longer than a login holds (to be listed, and fixed)
    too_long: list[Member] = field(default_factory=list)


@transaction.atomic
def members_invite(*, by: User, member_ids: list[int]) -> Invitations:
    """Create an ``anggota`` login for each chosen member (with their e-mail on file,
    no password yet) and e-mail each an invitation to set one (a task per login, queued
    when this commits: ``core.users.tasks.invitation_mail_task``). Members who
    already have a login, have no e-mail or whose e-mail another login uses are skipped;
    those whose e-mail is longer than a login holds are left out and returned
    (``too_long``), the others invited."""
    members = list(
        members_invitable().filter(pk__in=member_ids).select_for_update(of=("self",)).order_by("pk")
    )
    created: list[tuple[User, Member]] = []
    too_long: list[Member] = []
    for m in members:
        email = _norm_email(m.email)
        if len(email) > LOGIN_EMAIL_MAX:
            too_long.append(m)
            continue
        if _email_taken(email):
            continue
        user = User(username=email, email=email, full_name=m.full_name, role=User.Role.ANGGOTA)
        user.set_unusable_password()
        user.save()
        m.user = user
        m.save(update_fields=["user"])
        created.append((user, m))
    if created:
        audit_log_bulk(
            actor=by,
            action=PortalAudit.INVITED,
            targets=[(u, {"member": m.number}) for u, m in created],
        )
        language = translation.get_language() or ""
        for user, _m in created:  # a task each: one bad address does not stop the others
            mail_task_queue_on_commit(invitation_mail_task, user_id=user.pk, language=language)
    return Invitations(
        invited=[u for u, _m in created],
        too_long=sorted(too_long, key=lambda m: m.number),
    )
