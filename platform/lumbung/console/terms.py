"""The terms' §8 kept: "changes are announced to the cooperatives' admins by e-mail at
least 30 days before they take effect".

An admin operator announces a registered version of the terms (``lumbung.terms``) not
yet in force, with a short summary: refused when it takes effect fewer than
``NOTICE_DAYS`` days from today or was announced already. The announcement
(``tenants.TermsAnnouncement``) and one ``TermsDelivery`` per cooperative live at that
moment (not archived, deleted or a practice copy) are written with an audit row; on
commit a task queues one e-mail task per cooperative, sent to its active admins in the
cooperative's language. A delivery is e-mailed at most once: the send holds its row's
lock and checks ``sent_at`` first, so a second run or a Celery retry sends nothing
again. The failed ones are listed on the console's terms page, whose "send again to the
failed ones" queues them again; the overview warns while a version close to its date
is not announced, or some cooperative was not e-mailed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.audit.services import audit_log
from core.common.dates import format_date
from core.common.errors import ApplicationError, reason_required
from core.users.selectors import admin_emails
from lumbung.console.audit import ConsoleAudit
from lumbung.console.errors import action_require
from lumbung.terms import NOTICE_DAYS, TermsVersion, terms_in_force, terms_version, terms_versions
from tenants.backup import LIVE_STATUSES
from tenants.models import Cooperative, TermsAnnouncement, TermsDelivery
from tenants.signup import public_base_url

log = logging.getLogger(__name__)


class TermsErrors(StrEnum):
    SUMMARY_REQUIRED = "terms_summary_required"
    UNKNOWN = "terms_version_unknown"
    IN_FORCE = "terms_version_in_force"
    TOO_LATE = "terms_notice_too_late"
    ANNOUNCED = "terms_already_announced"
    NOTHING_TO_RESEND = "terms_nothing_to_resend"


def _already_announced(announcement: TermsAnnouncement) -> ApplicationError:
    return ApplicationError(
        TermsErrors.ANNOUNCED,
        _(
            "Versi %(v)s sudah diumumkan pada %(d)s oleh %(by)s; tidak ada yang dikirim "
            "lagi. Untuk koperasi yang belum menerima e-mail, pakai Kirim ulang ke yang gagal."
        )
        % {
            "v": announcement.version,
            "d": format_date(timezone.localdate(announcement.announced_at)),
            "by": announcement.announced_by,
        },
    )


# -- writes ------------------------------------------------------------------------------


@transaction.atomic
def terms_announce(*, operator, version: str, summary: str) -> TermsAnnouncement:
    """Announce registered version ``version`` of the terms to every live cooperative's
    admins, with the operator's ``summary`` of what changes; the e-mails go out after
    the commit (``terms_announcement_send_task``)."""
    action_require(operator, "announce_terms")
    summary = reason_required(
        summary,
        code=TermsErrors.SUMMARY_REQUIRED,
        field="summary",
        message=_("Tuliskan ringkasan perubahan untuk e-mail kepada admin koperasi."),
    )
    shown = terms_version(version)
    if shown is None:
        raise ApplicationError(
            TermsErrors.UNKNOWN,
            _("Versi %(v)s tidak terdaftar di Lumbung.") % {"v": version},
            fields={"version": [_("Pilih versi yang terdaftar.")]},
        )
    today = timezone.localdate()
    figures = {"v": shown.id, "d": format_date(shown.effective_on)}
    if shown.effective_on <= today:
        raise ApplicationError(
            TermsErrors.IN_FORCE,
            _(
                "Versi %(v)s sudah berlaku sejak %(d)s: yang diumumkan hanya versi yang "
                "belum berlaku."
            )
            % figures,
        )
    earliest = today + timedelta(days=NOTICE_DAYS)
    if shown.effective_on < earliest:
        raise ApplicationError(
            TermsErrors.TOO_LATE,
            _(
                "Versi %(v)s berlaku %(d)s, %(n)s hari lagi: syarat §8 menjanjikan e-mail "
                "kepada admin koperasi sekurang-kurangnya %(days)s hari sebelum berlaku. "
                "Tidak ada yang dikirim. Ubah tanggal berlakunya di kode menjadi paling "
                "cepat %(min)s, lalu umumkan."
            )
            % (
                figures
                | {
                    "n": (shown.effective_on - today).days,
                    "days": NOTICE_DAYS,
                    "min": format_date(earliest),
                }
            ),
        )
    existing = TermsAnnouncement.objects.filter(version=shown.id).first()
    if existing is not None:
        raise _already_announced(existing)
    try:
        with transaction.atomic():
            announcement = TermsAnnouncement.objects.create(
                version=shown.id,
                effective_on=shown.effective_on,
                summary=summary,
                announced_by=operator,
                announced_on=today,
            )
    except IntegrityError:  # another operator announced it meanwhile
        raise _already_announced(TermsAnnouncement.objects.get(version=shown.id))
    coops = list(terms_recipients_cooperatives().values_list("pk", flat=True))
    TermsDelivery.objects.bulk_create(
        TermsDelivery(announcement=announcement, cooperative_id=pk) for pk in coops
    )
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TERMS_ANNOUNCED,
        target=announcement,
        data={
            "version": shown.id,
            "effective_on": shown.effective_on.isoformat(),
            "cooperatives": len(coops),
            "summary": summary[:2000],
        },
    )
    _send_queue(announcement.pk)
    return announcement


@transaction.atomic
def terms_announcement_resend(*, operator, announcement: TermsAnnouncement) -> int:
    """Queue again the e-mails of ``announcement`` not sent yet (failed, or whose task
    was lost); the ones sent are never sent again. Returns how many were queued."""
    action_require(operator, "announce_terms")
    announcement = TermsAnnouncement.objects.select_for_update().get(pk=announcement.pk)
    unsent = announcement.deliveries.filter(sent_at__isnull=True)
    count = unsent.count()
    if not count:
        raise ApplicationError(
            TermsErrors.NOTHING_TO_RESEND,
            _("Semua koperasi sudah menerima e-mail pengumuman versi %(v)s.")
            % {"v": announcement.version},
        )
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TERMS_RESENT,
        target=announcement,
        data={"version": announcement.version, "cooperatives": count},
    )
    _send_queue(announcement.pk)
    return count


def _send_queue(announcement_id: int) -> None:
    # import cycle: .tasks imports this module
    from .tasks import terms_announcement_send_task

    transaction.on_commit(lambda: terms_announcement_send_task.delay(announcement_id))


def terms_deliveries_queue(*, announcement_id: int) -> int:
    """Queue one e-mail task per delivery of the announcement not sent yet (the fan-out
    task's work); returns how many."""
    from .tasks import terms_delivery_send_task  # import cycle, as in _send_queue

    pks = list(
        TermsDelivery.objects.filter(announcement_id=announcement_id, sent_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in pks:
        terms_delivery_send_task.delay(pk)
    return len(pks)


def terms_delivery_send(*, delivery_id: int) -> bool:
    """E-mail one cooperative's admins the announcement (the task's work), once: under
    the delivery's row lock, nothing when it was sent already. No active admin with an
    address is recorded (nothing to try again); a mail server's failure is recorded and
    raised, so the task tries again."""
    failure: Exception | None = None
    with transaction.atomic():
        delivery = (
            TermsDelivery.objects.select_for_update(of=("self",))
            .select_related("announcement", "cooperative")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.sent_at is not None:
            return False
        coop = delivery.cooperative
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        with schema_context(coop.schema_name):
            recipients = admin_emails()
        if not recipients:
            delivery.error = TermsDelivery.Error.NO_ADMINS
            delivery.save()
            log.warning("Terms announcement: no admin to e-mail at %s", coop.slug)
            return False
        try:
            _announcement_mail(delivery=delivery, recipients=recipients)
        except Exception as exc:
            failure = exc
            delivery.error = TermsDelivery.Error.MAIL_FAILED
        else:
            delivery.sent_at = timezone.now()
            delivery.recipients = recipients
            delivery.error = ""
        delivery.save()
    if failure is not None:
        raise failure
    return True


def cooperative_language(cooperative: Cooperative) -> str:
    """The language Lumbung writes to a cooperative in. A cooperative has no language
    of its own: its screens and billing e-mails are in the site's default, Bahasa
    Indonesia (``LANGUAGE_CODE``)."""
    return settings.LANGUAGE_CODE


def terms_version_url(version: TermsVersion | str) -> str:
    version_id = version if isinstance(version, str) else version.id
    path = reverse("terms-version", urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=[version_id])
    return f"{public_base_url()}{path}"


def _announcement_mail(*, delivery: TermsDelivery, recipients: list[str]) -> None:
    announcement, coop = delivery.announcement, delivery.cooperative
    with translation.override(cooperative_language(coop)):
        effective = format_date(announcement.effective_on)
        context = {
            "cooperative": coop,
            "announcement": announcement,
            "effective": effective,
            "link": terms_version_url(announcement.version),
            "days": NOTICE_DAYS,
        }
        subject = _("Syarat dan ketentuan Lumbung berubah mulai %(d)s") % {"d": effective}
        body = render_to_string("console/emails/terms_announcement.txt", context)
    send_mail(subject, body, None, recipients)


# -- reads -------------------------------------------------------------------------------


def terms_recipients_cooperatives():
    """The cooperatives an announcement is e-mailed to: every one live now (trial,
    active, past due, suspended), not an archived or deleted one, nor a practice copy."""
    return (
        Cooperative.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .filter(status__in=LIVE_STATUSES, is_practice=False)
        .order_by("pk")
    )


@dataclass
class TermsRow:
    """One registered version on the console's terms page."""

    version: TermsVersion
    state: str  # "in_force", "upcoming", "past"
    announcement: TermsAnnouncement | None = None
    total: int = 0
    sent: int = 0
    unsent: int = 0
    failures: list[TermsDelivery] = field(default_factory=list)
    announceable: bool = False  # upcoming, not announced, at least NOTICE_DAYS ahead


def terms_page(*, on: date | None = None) -> list[TermsRow]:
    """Every registered version, the latest first: in force or not, and for an
    announced one when and by whom, how many cooperatives were e-mailed of how many, and
    the ones that failed (with why)."""
    on = on or timezone.localdate()
    in_force = terms_in_force(on=on)
    announcements = {
        a.version: a
        for a in TermsAnnouncement.objects.select_related("announced_by").annotate(
            n_total=Count("deliveries"),
            n_sent=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)),
        )
    }
    rows = []
    for version in reversed(terms_versions()):
        if version.effective_on > on:
            state = "upcoming"
        elif version == in_force:
            state = "in_force"
        else:
            state = "past"
        row = TermsRow(version=version, state=state, announcement=announcements.get(version.id))
        if row.announcement is not None:
            row.total, row.sent = row.announcement.n_total, row.announcement.n_sent
            row.unsent = row.total - row.sent
            row.failures = list(
                row.announcement.deliveries.filter(sent_at__isnull=True)
                .exclude(error="")
                .select_related("cooperative")
            )
        row.announceable = (
            state == "upcoming"
            and row.announcement is None
            and version.effective_on >= on + timedelta(days=NOTICE_DAYS)
        )
        rows.append(row)
    return rows


def terms_warnings(*, on: date | None = None) -> list[str]:
    """What threatens the terms' §8 promise, for the console's overview: a registered
    version taking effect within ``NOTICE_DAYS`` days that was never announced, and an
    announcement some cooperatives have not been e-mailed yet."""
    on = on or timezone.localdate()
    announced = {
        a.version: a
        for a in TermsAnnouncement.objects.annotate(
            n_unsent=Count("deliveries", filter=Q(deliveries__sent_at__isnull=True))
        )
    }
    warnings = []
    for version in terms_versions():
        figures = {"v": version.id, "d": format_date(version.effective_on)}
        announcement = announced.get(version.id)
        if announcement is None and on < version.effective_on <= on + timedelta(days=NOTICE_DAYS):
            warnings.append(
                _(
                    "Syarat dan ketentuan versi %(v)s berlaku %(d)s, %(n)s hari lagi, tetapi "
                    "belum diumumkan: §8 menjanjikan e-mail kepada admin koperasi "
                    "sekurang-kurangnya %(days)s hari sebelumnya. Undur tanggal berlakunya "
                    "di kode, lalu umumkan."
                )
                % (figures | {"n": (version.effective_on - on).days, "days": NOTICE_DAYS})
            )
        elif announcement is not None and announcement.n_unsent:
            warnings.append(
                _(
                    "%(n)s koperasi belum menerima e-mail pengumuman syarat dan ketentuan "
                    "versi %(v)s (berlaku %(d)s)."
                )
                % (figures | {"n": announcement.n_unsent})
            )
    return warnings
