"""What the deduction services share: error codes, the roles that may act, the
deduction settings (cut-off day, allocation priority), whether a month is open."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_date
from core.common.errors import ApplicationError
from core.common.permissions import TREASURY
from core.deductions.audit import DeductionAudit
from core.ledger.models import Period
from core.ledger.services import books_start

from .. import allocation as A
from ..import_messages import Said
from ..models import DeductionSettings

ZERO = Decimal("0")
CHUNK = 1000
MAX_UPLOAD = 10 * 1024 * 1024  # a realized deduction file (XLSX or CSV)


class DeductionErrors(StrEnum):
    NOT_ALLOWED = "deduction_not_allowed"
    BAD_MONTH = "deduction_bad_month"
    RUN_EXISTS = "deduction_run_exists"
    RUN_NOT_READY = "deduction_run_not_ready"
    PERIOD_CLOSED = "deduction_period_closed"
    FILE_DUPLICATE = "deduction_file_duplicate"
    FILE_INVALID = "deduction_file_invalid"
    ALREADY_POSTED = "deduction_already_posted"
    WRONG_STATUS = "deduction_wrong_status"
    BAD_SETTINGS = "deduction_bad_settings"
    REASON_REQUIRED = "deduction_reason_required"
    POSTING_RUNNING = "deduction_posting_running"
    NOTHING_TO_POST = "deduction_nothing_to_post"
    BAD_DATE = "deduction_bad_date"
    RUN_STALE = "deduction_run_stale"
    MEMBER_INACTIVE = "deduction_member_inactive"
    REVERSAL_SAVINGS_SHORT = "deduction_reversal_savings_short"
    LOAN_DATE = "deduction_loan_date"
    REVERSAL_INTEREST_RUN = "deduction_reversal_interest_run"
    INTEREST_RUN = "deduction_interest_run"
    REVERSAL_BALANCE_NEGATIVE = "deduction_reversal_balance_negative"


E = DeductionErrors


def _require(by, what: str) -> None:
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            E.NOT_ALLOWED, _("Peran Anda tidak boleh %(w)s.") % {"w": what}, status=403
        )


def _user(by):
    return by if getattr(by, "is_authenticated", False) and getattr(by, "pk", None) else None


def deduction_settings_get() -> DeductionSettings:
    obj, _c = DeductionSettings.objects.get_or_create(pk=1)
    return obj


@transaction.atomic
def deduction_settings_update(
    *, by, cutoff_day: int, priority: str, signer_name: str = "", signer_title: str = ""
) -> DeductionSettings:
    _require(by, _("mengubah pengaturan potong gaji"))
    if not (1 <= int(cutoff_day) <= 28):
        raise ApplicationError(
            E.BAD_SETTINGS,
            _("Tanggal cut-off harus 1 sampai 28."),
            fields={"cutoff_day": [_("1 sampai 28.")]},
        )
    try:
        prio = A.clean_priority(priority)
    except ValueError:
        raise ApplicationError(
            E.BAD_SETTINGS,
            _(
                "Urutan alokasi harus memuat jasa, principal, wajib dan others masing-masing sekali."
            ),
            fields={"priority": [_("Tidak valid.")]},
        ) from None
    obj = deduction_settings_get()
    obj.cutoff_day = int(cutoff_day)
    obj.priority = ",".join(prio)
    obj.signer_name = signer_name
    obj.signer_title = signer_title or obj.signer_title
    obj.save()
    audit_log(actor=by, action=DeductionAudit.SETTINGS, target=obj, data={"priority": obj.priority})
    return obj


def _period_open(on: date) -> bool:
    p = Period.objects.filter(start_date__lte=on, end_date__gte=on).first()
    return p is None or p.status == Period.Status.OPEN


def posting_date_default(run) -> date:
    """The date a batch is posted on when none is given: the run's payday, or today when
    the money came before it."""
    return min(run.payday, timezone.localdate())


def books_start_after(day: date) -> date | None:
    """The books' first day when it comes after ``day`` (a list's payday before the books
    start: money received for it is posted from that day on); None otherwise."""
    start = books_start()
    return start if day < start else None


def posting_date_proposed(run) -> date:
    """The received date a page proposes for posting: the default, or the books' first
    day when the list's payday comes before it (the default would be refused). Only a
    proposal: a batch posted with no date given still takes the default."""
    default = posting_date_default(run)
    start = books_start_after(default)
    return start or default


def posting_date_clean(run, on) -> date:
    """The date the agency's money was received, which the batch is posted on (so the
    bank account in the ledger matches the bank statement): a real date, not in the
    future, not before the run's month starts nor the books start, in an open period. ``None``: the default;
    anything but a date or its ISO text (a client's ``5`` or ``["2026-01-01"]``): refused."""
    if on is None or on == "":
        return posting_date_default(run)
    if isinstance(on, str):
        try:
            on = date.fromisoformat(on.strip())
        except ValueError:
            on = None
    if not isinstance(on, date):  # unreadable text, or a number, list, object, true
        raise ApplicationError(
            E.BAD_DATE,
            _("Tanggal terima tidak valid (TTTT-BB-HH)."),
            fields={"on": [_("Tanggal tidak valid.")]},
        )
    if on > timezone.localdate():
        raise ApplicationError(
            E.BAD_DATE,
            _("Tanggal terima %(d)s belum tiba; tanggal di masa depan tidak boleh.")
            % {"d": format_date(on)},
            fields={"on": [_("Tidak boleh di masa depan.")]},
        )
    if on < run.month_start:
        raise ApplicationError(
            E.BAD_DATE,
            _("Tanggal terima %(d)s sebelum bulan potong gaji %(m)s dimulai.")
            % {"d": format_date(on), "m": run.month_shown},
            fields={"on": [_("Sebelum bulan potong gaji.")]},
        )
    start = books_start()
    if on < start:
        # the ledger would refuse it after the confirmation page: said here, before it
        raise ApplicationError(
            E.BAD_DATE,
            Said("post_before_books", {"on": on.isoformat(), "start": start.isoformat()}),
            fields={"on": [_("Sebelum awal pembukuan.")]},
        )
    if not _period_open(on):
        raise ApplicationError(
            E.PERIOD_CLOSED,
            Said("post_period_closed", {"on": on.isoformat()}),
            fields={"on": [_("Periode sudah ditutup.")]},
        )
    return on
