"""Self-service sign-up: submit → verify the e-mail → provision (Celery) → log in.

Settings (all optional): SIGNUP_VERIFY_MAX_AGE (seconds a verification link lives and
an unverified sign-up holds its address after its last verification e-mail, 3 h),
SIGNUP_RESEND_INTERVAL (seconds before the form sent again e-mails a fresh link, 5 min),
SIGNUP_LOGIN_TOKEN_MAX_AGE (the one-time login link, 10 min),
SIGNUP_PROVISION_RETRIES (3) and SIGNUP_RETRY_BACKOFF (base seconds, doubled per retry).
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.mail import mail_task_queue_on_commit
from lumbung.terms import TermsVersion, terms_in_force, terms_version
from tenants.audit import TenantAudit
from tenants.errors import TenantErrors

from .models import Cooperative, SignupRequest, TermsAnnouncement
from .services import (
    LEGAL_NUMBER,
    NIK_KOPERASI,
    CooperativeIdentifier,
    cooperative_create,
    identifier_being_made_error,
    identifier_holder,
    identifier_lock,
    identifier_taken_error,
    slug_in_use,
    slug_taken_error,
    tenant_url,
    verify_max_age,
)
from .validators import (
    validate_email_length,
    validate_legal_date,
    validate_legal_number,
    validate_nik_koperasi,
    validate_slug,
)

log = logging.getLogger(__name__)

VERIFY_SALT = "tenants.signup.verify"
LOGIN_SALT = "tenants.signup.login"


def resend_interval() -> int:
    """The least time between two verification e-mails of one sign-up, so that sending
    the form again cannot flood someone's inbox."""
    return getattr(settings, "SIGNUP_RESEND_INTERVAL", 5 * 60)


def login_token_max_age() -> int:
    return getattr(settings, "SIGNUP_LOGIN_TOKEN_MAX_AGE", 10 * 60)


# ----------------------------------------------------------------------------- selectors


def slug_availability(slug: str, *, email: str = "") -> ApplicationError | None:
    """None when ``slug`` can be signed up for, else the reason (format, reserved,
    taken by a cooperative, its address already served as a domain, or held by a live
    sign-up). A live sign-up by the same ``email`` does not count: that is the same form
    sent again."""
    try:
        validate_slug(slug)
    except ApplicationError as exc:
        return exc
    stale_before = timezone.now() - timedelta(seconds=verify_max_age())
    live = SignupRequest.objects.filter(slug=slug, status__in=SignupRequest.LIVE).exclude(
        status=SignupRequest.Status.PENDING, verification_sent_at__lt=stale_before
    )
    if email:
        live = live.exclude(email__iexact=email)
    if slug_in_use(slug) or live.exists():
        return slug_taken_error(slug)
    return None


def identifier_availability(
    identifier: CooperativeIdentifier, value: str, *, slug: str
) -> ApplicationError | None:
    """None unless another cooperative in Lumbung (not a practice copy) has this number
    (its legal number, its NIK koperasi as digits): one cooperative, one space and one
    bill. The cooperative at ``slug`` itself (its own form sent again while it is being
    made) is the address check's business. The form's early answer (a 409, as at
    verification and provisioning); provisioning checks again under a lock
    (``cooperative_create``)."""
    if identifier_holder(identifier, value, slug=slug) is None:
        return None
    return identifier_taken_error(identifier)


def terms_announced_later(*, on: date | None = None) -> TermsVersion | None:
    """The nearest registered version of the terms not yet in force on ``on`` (today)
    that operators have announced to the cooperatives (``TermsAnnouncement``): the
    sign-up form says it applies from its date. None when there is none."""
    on = on or timezone.localdate()
    for version_id in (
        TermsAnnouncement.objects.filter(effective_on__gt=on)
        .order_by("effective_on")
        .values_list("version", flat=True)
    ):
        version = terms_version(version_id)
        if version is not None and version.effective_on > on:
            return version
    return None


def _terms_accepted(version_id: str) -> TermsVersion:
    """The version of the terms a sign-up accepts: the one its form showed, which must be
    the one in force now (a form opened before a new version took effect is refused,
    and shown again with the new one); "" (no version said) is the one in force."""
    in_force = terms_in_force()
    if version_id and version_id != in_force.id:
        message = _(
            "Syarat dan ketentuan berganti ke versi %(v)s sejak formulir ini dibuka. Baca "
            "versi itu, lalu centang persetujuan dan kirim lagi."
        ) % {"v": in_force.id}
        raise ApplicationError(TenantErrors.TERMS_CHANGED, message, fields={"terms": [message]})
    return in_force


# ------------------------------------------------------------------------------ submit


def _expire_stale(*, slug: str) -> None:
    """Pending requests whose last link has expired no longer hold their slug."""
    stale_before = timezone.now() - timedelta(seconds=verify_max_age())
    SignupRequest.objects.filter(
        slug=slug, status=SignupRequest.Status.PENDING, verification_sent_at__lt=stale_before
    ).update(status=SignupRequest.Status.EXPIRED)


@dataclass
class SignupData:
    slug: str
    name: str
    kind: str
    legal_number: str
    legal_date: date
    nik_koperasi: str
    province: str
    regency: str
    member_count: int
    contact_name: str
    email: str
    phone: str
    password: str
    # the version of the terms the form showed (lumbung.terms); "" means the one in force
    terms_version: str = ""


class VerificationMail(StrEnum):
    """What a submit did about the verification e-mail."""

    SENT = "sent"  # a new sign-up: its first e-mail
    RESENT = "resent"  # the form again while pending: a fresh e-mail
    TOO_SOON = "too_soon"  # the form again, but the last e-mail is too recent
    NOT_NEEDED = "not_needed"  # the form again after the e-mail was verified


@dataclass(frozen=True)
class SignupSubmitted:
    signup: SignupRequest
    mail: VerificationMail
    resend_at: datetime | None = None  # TOO_SOON: when a fresh e-mail may be asked for


@transaction.atomic
def signup_submit(*, data: SignupData, ip: str | None = None) -> SignupSubmitted:
    """Record a sign-up and e-mail the verification link. Submitting the same form
    again (same address, same e-mail) returns the first request (one live request per
    slug, enforced by the database) and, while it is pending, e-mails a fresh link
    (at most one per ``resend_interval()``); another e-mail asking for a taken slug
    gets ``slug_taken``."""
    validate_email_length(data.email)  # it becomes the first admin's username
    # The form's rules, for any caller (the form has shown them on their fields).
    data = replace(
        data,
        legal_number=validate_legal_number(data.legal_number),
        legal_date=validate_legal_date(data.legal_date),
        nik_koperasi=validate_nik_koperasi(data.nik_koperasi),
    )
    terms = _terms_accepted(data.terms_version)
    _expire_stale(slug=data.slug)
    existing = (
        SignupRequest.objects.filter(slug=data.slug, status__in=SignupRequest.LIVE)
        .order_by("pk")
        .first()
    )
    if existing is not None and existing.email.lower() == data.email.lower():
        return _signup_resubmitted(signup=existing)
    problem = (
        slug_availability(data.slug)
        or identifier_availability(LEGAL_NUMBER, data.legal_number, slug=data.slug)
        or identifier_availability(NIK_KOPERASI, data.nik_koperasi, slug=data.slug)
    )
    if problem is not None:
        raise problem
    request = SignupRequest(
        public_id=secrets.token_urlsafe(24),
        slug=data.slug,
        name=data.name,
        kind=data.kind,
        legal_number=data.legal_number,
        legal_date=data.legal_date,
        nik_koperasi=data.nik_koperasi,
        province=data.province,
        regency=data.regency,
        member_count=data.member_count,
        contact_name=data.contact_name,
        email=data.email,
        phone=data.phone,
        password_hash=make_password(data.password),
        terms_accepted_at=timezone.now(),
        terms_version=terms.id,
        ip_address=ip or None,
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        # A concurrent submit won the slug: the same person gets that request back.
        winner = SignupRequest.objects.filter(slug=data.slug, status__in=SignupRequest.LIVE).first()
        if winner is not None and winner.email.lower() == data.email.lower():
            # Its e-mail goes out as that submit commits: not a second one now.
            return SignupSubmitted(
                signup=winner,
                mail=VerificationMail.TOO_SOON,
                resend_at=winner.verification_sent_at + timedelta(seconds=resend_interval()),
            )
        raise slug_taken_error(data.slug)
    audit_log(actor=f"signup:{data.email}", action=TenantAudit.SIGNUP_SUBMITTED, target=request)
    _verification_mail_queue(signup=request)
    return SignupSubmitted(signup=request, mail=VerificationMail.SENT)


def _signup_resubmitted(*, signup: SignupRequest) -> SignupSubmitted:
    """The same form again for a live request. A pending one gets a fresh verification
    e-mail, unless the last went out less than ``resend_interval()`` ago. The fresh link
    lives ``verify_max_age()`` like the first, and the address is held as long; earlier
    links keep working until their own expiry (they verify the same address of the same
    request)."""
    if signup.status == SignupRequest.Status.PENDING:
        # Only a pending row is locked (two forms at once send one e-mail): a row being
        # provisioned stays locked for the whole provisioning.
        signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    if signup.status != SignupRequest.Status.PENDING:
        return SignupSubmitted(signup=signup, mail=VerificationMail.NOT_NEEDED)
    now = timezone.now()
    resend_at = signup.verification_sent_at + timedelta(seconds=resend_interval())
    if now < resend_at:
        return SignupSubmitted(signup=signup, mail=VerificationMail.TOO_SOON, resend_at=resend_at)
    signup.verification_sent_at = now
    signup.save(update_fields=["verification_sent_at"])
    audit_log(
        actor=f"signup:{signup.email}",
        action=TenantAudit.SIGNUP_VERIFICATION_RESENT,
        target=signup,
    )
    _verification_mail_queue(signup=signup)
    return SignupSubmitted(signup=signup, mail=VerificationMail.RESENT)


@transaction.atomic
def signup_verification_resend(*, signup: SignupRequest) -> SignupSubmitted:
    """The status page's "send the link again" (for the browser that submitted the
    form): a fresh verification e-mail under the same rule as sending the form again —
    pending only, at most one per ``resend_interval()``, row-locked, audited."""
    return _signup_resubmitted(signup=signup)


def verification_token(signup: SignupRequest) -> str:
    return signing.dumps({"id": signup.pk, "p": signup.public_id}, salt=VERIFY_SALT)


def _verification_mail_queue(*, signup: SignupRequest) -> None:
    """The verification e-mail is a task queued when the transaction commits (in the
    page's language): a mail server's refusal never reaches the form
    (``core.common.mail``)."""
    # import cycle: tenants.tasks imports this module
    from .tasks import signup_verification_mail_task

    mail_task_queue_on_commit(
        signup_verification_mail_task,
        signup_id=signup.pk,
        language=translation.get_language() or "",
    )


def signup_verification_mail_send(*, signup_id: int) -> bool:
    """E-mail sign-up ``signup_id`` its verification link (the task's work); nothing
    (False) once it is no longer waiting for one (verified or expired since). A mail
    server's failure is raised: the task tries again."""
    signup = SignupRequest.objects.filter(pk=signup_id, status=SignupRequest.Status.PENDING).first()
    if signup is None:
        return False
    link = f"{public_base_url()}/daftar/verifikasi/{verification_token(signup)}/"
    context = {
        "signup": signup,
        "link": link,
        "hours": max(1, verify_max_age() // 3600),
        "host": f"{signup.slug}.{settings.BASE_DOMAIN}",
    }
    send_mail(
        subject=_("Konfirmasi pendaftaran %(name)s di Lumbung") % {"name": signup.name},
        message=render_to_string("tenants/emails/verify.txt", context),
        from_email=None,
        recipient_list=[signup.email],
    )
    return True


def public_base_url() -> str:
    port = settings.SITE_PORT
    suffix = f":{port}" if port not in ("", "80", "443") else ""
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{suffix}"


# ------------------------------------------------------------------------------ verify


def _verification_payload(token: str) -> dict:
    try:
        return signing.loads(token, salt=VERIFY_SALT, max_age=verify_max_age())
    except signing.SignatureExpired:
        raise ApplicationError(
            TenantErrors.LINK_EXPIRED,
            _("Tautan verifikasi sudah kedaluwarsa. Silakan daftar ulang."),
            status=410,
        )
    except signing.BadSignature:
        raise ApplicationError(
            TenantErrors.LINK_INVALID, _("Tautan verifikasi tidak valid."), status=400
        )


def _verified_signup(signup: SignupRequest | None) -> SignupRequest:
    """The sign-up a verification link names, refused as the link is when it is gone
    or expired."""
    if signup is None:
        raise ApplicationError(
            TenantErrors.LINK_INVALID, _("Tautan verifikasi tidak valid."), status=400
        )
    if signup.status == SignupRequest.Status.EXPIRED:
        raise ApplicationError(
            TenantErrors.LINK_EXPIRED,
            _("Tautan verifikasi sudah kedaluwarsa. Silakan daftar ulang."),
            status=410,
        )
    return signup


def signup_verification_check(*, token: str) -> SignupRequest:
    """The sign-up a verification link names, changing nothing (the page a GET of the
    link shows: mail scanners open every link). Refused as ``signup_verify`` refuses."""
    payload = _verification_payload(token)
    return _verified_signup(
        SignupRequest.objects.filter(pk=payload.get("id"), public_id=payload.get("p")).first()
    )


def signup_verify(*, token: str) -> SignupRequest:
    """Check a verification link and queue provisioning. Idempotent: a second click
    returns the same request without queuing twice."""
    payload = _verification_payload(token)
    with transaction.atomic():
        signup = _verified_signup(
            SignupRequest.objects.select_for_update()
            .filter(pk=payload.get("id"), public_id=payload.get("p"))
            .first()
        )
        if signup.status != SignupRequest.Status.PENDING:
            return signup
        problem = _identifier_verifiable(LEGAL_NUMBER, signup) or _identifier_verifiable(
            NIK_KOPERASI, signup
        )
        if problem is not None:
            raise problem
        signup.status = SignupRequest.Status.QUEUED
        signup.verified_at = timezone.now()
        signup.save(update_fields=["status", "verified_at"])
        audit_log(actor=f"signup:{signup.email}", action=TenantAudit.SIGNUP_VERIFIED, target=signup)
        transaction.on_commit(lambda: _enqueue(signup.pk))
    return signup


def _identifier_verifiable(
    identifier: CooperativeIdentifier, signup: SignupRequest
) -> ApplicationError | None:
    """None unless another cooperative has the sign-up's legal number (or NIK koperasi),
    made or being made (another sign-up with it verified, not failed): the one verified
    first is the one made; the other is told at its verification, not failed at
    provisioning. Under the number's lock, so two verifications at once see each other;
    provisioning's claim (``cooperative_create``) and, for the NIK, the database's unique
    index stay the last guards."""
    number = identifier.normal(getattr(signup, identifier.field))
    if not number:
        return None
    identifier_lock(identifier, number)
    if identifier_holder(identifier, number, slug=signup.slug) is not None:
        return identifier_taken_error(identifier)
    if (
        SignupRequest.objects.filter(
            **identifier.lookup(number),
            status__in=(SignupRequest.Status.QUEUED, SignupRequest.Status.PROVISIONING),
        )
        .exclude(pk=signup.pk)
        .exclude(slug=signup.slug)
        .exists()
    ):
        return identifier_being_made_error(identifier)
    return None


def _enqueue(signup_id: int) -> None:
    # import cycle: tenants.tasks imports this module
    from .tasks import signup_provision_task

    signup_provision_task.delay(signup_id)


# ---------------------------------------------------------------------------- provision

PERMANENT_ERRORS = {
    "slug_taken",
    "slug_invalid",
    "slug_reserved",
    "signup_not_verified",
    "legal_number_taken",
    "nik_koperasi_taken",
}


def signup_provision(*, signup_id: int) -> SignupRequest:
    """Make the cooperative of a verified sign-up: clone the template schema, first
    admin (the password chosen in the form), seeders, trial, then mark the request
    ready and send the welcome e-mail — all in one transaction, so a failure leaves
    nothing behind and running it again (a retry, a duplicate message) is safe."""
    with transaction.atomic():
        signup = SignupRequest.objects.select_for_update().get(pk=signup_id)
        if signup.status == SignupRequest.Status.READY:
            return signup
        if signup.status not in (
            SignupRequest.Status.QUEUED,
            SignupRequest.Status.PROVISIONING,
            SignupRequest.Status.FAILED,
        ):
            raise ApplicationError(
                TenantErrors.SIGNUP_NOT_VERIFIED, _("Pendaftaran ini belum diverifikasi.")
            )
        signup.status = SignupRequest.Status.PROVISIONING
        signup.attempts += 1
        signup.save(update_fields=["status", "attempts"])

    started = time.perf_counter()
    with transaction.atomic():
        # Hold the row: a duplicate run waits here, then sees READY and does nothing.
        signup = SignupRequest.objects.select_for_update().get(pk=signup_id)
        if signup.status == SignupRequest.Status.READY:
            return signup
        made = cooperative_create(
            slug=signup.slug,
            name=signup.name,
            admin_email=signup.email,
            admin_password_hash=signup.password_hash,
            admin_name=signup.contact_name,
            actor=f"signup:{signup.pk}",
            status=Cooperative.Status.TRIAL,
            clone=True,
            signup_id=signup.pk,
            kind=signup.kind,
            legal_number=signup.legal_number,
            legal_date=signup.legal_date,
            nik_koperasi=signup.nik_koperasi,
            province=signup.province,
            regency=signup.regency,
            contact_name=signup.contact_name,
            phone=signup.phone,
        )
        signup.status = SignupRequest.Status.READY
        signup.cooperative = made.cooperative
        signup.admin_user_id = made.admin_user_id
        signup.ready_at = timezone.now()
        signup.last_error = ""
        signup.provision_seconds = round(time.perf_counter() - started, 3)
        signup.save()
        audit_log(actor="signup", action=TenantAudit.SIGNUP_PROVISIONED, target=signup)
        _welcome_mail_queue(signup_id=signup.pk)
    return signup


def _welcome_mail_queue(*, signup_id: int) -> None:
    """The welcome e-mail is a task of its own, queued when provisioning commits: a mail
    server's refusal does not fail the provisioning of a cooperative already made."""
    from .tasks import signup_welcome_mail_task  # import cycle, as in _enqueue

    mail_task_queue_on_commit(signup_welcome_mail_task, signup_id=signup_id)


def signup_record_error(*, signup_id: int, error: str, final: bool) -> None:
    """Keep the error of a failed attempt; on the last one mark the request failed."""
    fields = {"last_error": error[:4000]}
    if final:
        fields["status"] = SignupRequest.Status.FAILED
    SignupRequest.objects.filter(pk=signup_id).exclude(status=SignupRequest.Status.READY).update(
        **fields
    )
    if final:
        log.error("Sign-up %s failed for good: %s", signup_id, error)


def signup_welcome_mail_send(*, signup_id: int) -> bool:
    """E-mail a provisioned sign-up the address of its cooperative and its login (the
    task's work). A mail server's failure is raised: the task tries again."""
    signup = SignupRequest.objects.filter(pk=signup_id, status=SignupRequest.Status.READY).first()
    if signup is None:
        return False
    context = {"signup": signup, "url": tenant_url(signup.slug), "username": signup.email}
    send_mail(
        subject=_("Selamat datang di Lumbung, %(name)s") % {"name": signup.name},
        message=render_to_string("tenants/emails/welcome.txt", context),
        from_email=None,
        recipient_list=[signup.email],
    )
    return True


# ------------------------------------------------------------------------ first login


def login_token_make(*, signup: SignupRequest) -> str:
    return signing.dumps(
        {"s": signup.pk, "u": signup.admin_user_id, "c": signup.cooperative_id}, salt=LOGIN_SALT
    )


def login_url_for(*, signup: SignupRequest) -> str:
    return f"{tenant_url(signup.slug)}masuk/sekali/{login_token_make(signup=signup)}/"


def _login_payload(*, token: str, cooperative_id: int) -> dict:
    invalid = ApplicationError(
        TenantErrors.LOGIN_LINK_INVALID,
        _("Tautan masuk tidak berlaku lagi. Silakan masuk dengan kata sandi."),
    )
    try:
        payload = signing.loads(token, salt=LOGIN_SALT, max_age=login_token_max_age())
    except signing.BadSignature:  # SignatureExpired included
        raise invalid
    if payload.get("c") != cooperative_id:
        raise invalid
    return payload


def _login_link_used() -> ApplicationError:
    return ApplicationError(
        TenantErrors.LOGIN_LINK_USED,
        _("Tautan masuk ini sudah dipakai. Silakan masuk dengan kata sandi."),
    )


def login_token_check(*, token: str, cooperative_id: int) -> SignupRequest:
    """The sign-up a one-time login link belongs to, spending nothing (the page a GET of
    the link shows). Refused as ``login_token_use`` refuses."""
    payload = _login_payload(token=token, cooperative_id=cooperative_id)
    signup = SignupRequest.objects.filter(
        pk=payload["s"], cooperative_id=cooperative_id, login_used_at__isnull=True
    ).first()
    if signup is None:
        raise _login_link_used()
    return signup


def login_token_use(*, token: str, cooperative_id: int) -> int:
    """Spend a one-time login token at the cooperative's host; returns the admin's user
    id. Expired, forged, used or other-cooperative tokens raise ApplicationError."""
    payload = _login_payload(token=token, cooperative_id=cooperative_id)
    spent = SignupRequest.objects.filter(
        pk=payload["s"], cooperative_id=cooperative_id, login_used_at__isnull=True
    ).update(login_used_at=timezone.now())
    if spent != 1:
        raise _login_link_used()
    return payload["u"]


# ------------------------------------------------------------------------- operators


def _address_held_by(signup: SignupRequest, holder: SignupRequest) -> ApplicationError:
    return ApplicationError(
        TenantErrors.SIGNUP_NOT_RETRYABLE,
        _(
            "Pendaftaran #%(id)s (%(slug)s) tidak dapat diulang: alamat '%(slug)s' sedang "
            "dipegang pendaftaran #%(other)s oleh %(email)s (%(status)s)."
        )
        % {
            "id": signup.pk,
            "slug": signup.slug,
            "other": holder.pk,
            "email": holder.email,
            "status": holder.get_status_display(),
        },
    )


@transaction.atomic
def signup_retry(*, signup: SignupRequest, actor) -> SignupRequest:
    """Queue a failed (or stuck) verified sign-up again, e.g. after fixing the cause.
    A failed sign-up no longer holds its address: if another live sign-up holds it now
    (often the same person, who signed up again), the retry is refused naming that one;
    a newer sign-up that was never verified in time is expired first, as at submit."""
    signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    if signup.status not in (
        SignupRequest.Status.FAILED,
        SignupRequest.Status.QUEUED,
        SignupRequest.Status.PROVISIONING,
    ):
        raise ApplicationError(
            TenantErrors.SIGNUP_NOT_RETRYABLE,
            _("Pendaftaran berstatus '%(status)s' tidak dapat diulang.")
            % {"status": signup.get_status_display()},
        )
    if signup.status == SignupRequest.Status.FAILED:
        _expire_stale(slug=signup.slug)
        live = SignupRequest.objects.filter(slug=signup.slug, status__in=SignupRequest.LIVE)
        holder = live.exclude(pk=signup.pk).order_by("pk").first()
        if holder is not None:
            raise _address_held_by(signup, holder)
        problem = slug_availability(signup.slug)
        if problem is not None:
            raise problem
    signup.status = SignupRequest.Status.QUEUED
    try:
        with transaction.atomic():
            signup.save(update_fields=["status"])
    except IntegrityError:
        # A sign-up for the same address was submitted meanwhile.
        holder = (
            SignupRequest.objects.filter(slug=signup.slug, status__in=SignupRequest.LIVE)
            .exclude(pk=signup.pk)
            .first()
        )
        if holder is None:
            raise
        raise _address_held_by(signup, holder)
    audit_log(
        actor=actor,
        action=TenantAudit.SIGNUP_RETRIED,
        target=signup,
        data={"error": signup.last_error},
    )
    transaction.on_commit(lambda: _enqueue(signup.pk))
    return signup


def signups_requeue_stuck(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Queue again verified sign-ups whose task message was lost (still queued or
    provisioning long after verification). Provisioning is idempotent, so a sign-up
    whose task is merely slow is not harmed."""
    stuck = SignupRequest.objects.filter(
        status__in=[SignupRequest.Status.QUEUED, SignupRequest.Status.PROVISIONING],
        verified_at__lt=timezone.now() - older_than,
    ).values_list("pk", flat=True)
    count = 0
    for pk in stuck:
        _enqueue(pk)
        count += 1
    return count
