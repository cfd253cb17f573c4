"""What every loans service shares: roles, error codes, amount checks, the loan lock,
notices and the ledger glue (lines on role accounts, posting, savings credits)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Case, DateField, F, Max, OuterRef, Q, Subquery, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.members.models import Member
from core.savings.models import SavingsProduct, SavingsTransaction
from core.savings.services import (
    savings_account_get_or_open,
    savings_deposit_apply,
    transactions_link_entry,
)
from core.users.models import User

from .. import schedules as S
from ..models import Instalment, Loan, Reschedule

ZERO = Decimal("0")
MONEY_LIMIT = Decimal(10) ** 16
R = User.Role

APPLY_ROLES = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PETUGAS, R.ANGGOTA})
VERIFY_ROLES = frozenset({R.ADMIN, R.BENDAHARA})
APPROVE_ROLES = frozenset({R.KETUA})
REJECT_ROLES = frozenset({R.ADMIN, R.BENDAHARA, R.KETUA})
DISBURSE_ROLES = frozenset({R.ADMIN, R.BENDAHARA})
REPAY_ROLES = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PETUGAS})
RESCHEDULE_ROLES = frozenset({R.KETUA})
PRODUCT_ROLES = frozenset({R.ADMIN})
SETTINGS_ROLES = frozenset({R.ADMIN})


class LoanErrors(StrEnum):
    PERMISSION = "permission_denied"
    INVALID = "loan_invalid"
    AMOUNT_OUT_OF_RANGE = "loan_amount_out_of_range"
    TENOR_OUT_OF_RANGE = "loan_tenor_out_of_range"
    PRODUCT_INACTIVE = "loan_product_inactive"
    UNAFFORDABLE = "loan_unaffordable"
    TAKE_HOME_PAY_MISSING = "loan_take_home_pay_missing"
    MEMBER_NOT_ACTIVE = "loan_member_not_active"
    MEMBERSHIP_TOO_SHORT = "loan_membership_too_short"
    MEMBER_HAS_MACET = "loan_member_has_macet"
    OWN_APPLICATION = "loan_own_application"
    WRONG_STATUS = "loan_wrong_status"
    NOT_APPROVED = "loan_not_approved"
    NOT_RUNNING = "loan_not_running"
    AMOUNT_NOT_POSITIVE = "loan_amount_not_positive"
    AMOUNT_NOT_WHOLE = "loan_amount_not_whole"
    EXCESS_TARGET = "loan_excess_target_required"
    EXCESS_TOO_LARGE = "loan_excess_exceeds_principal"
    # an instalment payment that would pay the loan off early under a payoff penalty
    PAYOFF_REQUIRED = "loan_payoff_required"
    REASON_REQUIRED = "loan_reason_required"
    NET_NOT_POSITIVE = "loan_net_disbursement_not_positive"
    TOPUP_INVALID = "loan_topup_invalid"
    DOCUMENTS_MISSING = "loan_documents_missing"
    DATE_INVALID = "loan_date_invalid"
    ALREADY_REVERSED = "loan_already_reversed"
    REVERSAL_NOT_HERE = "loan_reversal_not_here"
    REVERSAL_REAMORTISED = "loan_reversal_reamortised"
    REVERSAL_LATER = "loan_reversal_later_depends"
    REVERSAL_PERIOD_CLOSED = "loan_reversal_period_closed"
    # a payment from the member's sukarela that it cannot give (no account, short)
    SUKARELA_SHORT = "loan_sukarela_short"
    # a member set as left while a loan of theirs runs (migration 0021)
    LEAVE_LOANS_RUNNING = "member_leave_loans_running"
    # a repayment about to be committed without its journal entry (migration 0022)
    REPAYMENT_ENTRY_MISSING = "loan_repayment_entry_missing"
    # the arrears/PPAP run from the screen (``arrears_asof``) and its close guard
    ARREARS_DATE = "loan_arrears_date_invalid"
    ARREARS_PERIOD_CLOSED = "loan_arrears_period_closed"
    ARREARS_AS_OF_UNREADABLE = "loan_arrears_as_of_unreadable"
    ARREARS_RUN_MISSING = "loan_arrears_run_missing"
    # a run's per-loan grades asked of a run that keeps none (API arrears-runs/{id}/grades/)
    ARREARS_RUN_GRADES_UNAVAILABLE = "loan_arrears_run_grades_unavailable"
    # a write-off (hapus buku) by the board's decision and money received on it after
    WRITE_OFF_NOT_MACET = "loan_write_off_not_macet"
    NOT_WRITTEN_OFF = "loan_not_written_off"
    # a loan waived at a member's exit: its write-off goes with the exit settlement
    WRITE_OFF_AT_EXIT = "loan_write_off_at_exit"
    RECOVERY_TOO_LARGE = "loan_recovery_exceeds_written_off"


# --- dates ------------------------------------------------------------------------------

# a first due date at most this many months after the disbursement (or the reschedule)
FIRST_DUE_MAX_MONTHS = 3


def loan_date_floor() -> date:
    """The earliest date a loan event may carry: the start of the cooperative's books (its
    first fiscal year), and not before its legal date when that is known. Without a fiscal
    year yet: 1 January of this year."""
    first = FiscalYear.objects.order_by("year").values_list("start_date", flat=True).first()
    floor = first or date(timezone.localdate().year, 1, 1)
    legal = getattr(connection.tenant, "legal_date", None)
    return max(floor, legal) if isinstance(legal, date) else floor


def loan_opening_date(loan: Loan) -> date | None:
    """For a loan brought in at a move-in (it points at the opening entry, dated the
    cut-over): the cut-over date; None for a loan disbursed here. The batch annotates it
    as ``opening_on`` on the loans it locks (no query per loan)."""
    if hasattr(loan, "opening_on"):
        return loan.opening_on
    return (
        JournalEntry.objects.filter(
            pk=loan.disbursement_entry_id, source=JournalEntry.Source.OPENING
        )
        .values_list("date", flat=True)
        .first()
    )


def loan_last_reschedule_date(loan: Loan) -> date | None:
    """The effective date of the loan's last reschedule (None: never rescheduled; a
    reschedule is never reversed). The batch annotates it as ``rescheduled_on`` on the
    loans it locks (no query per loan)."""
    if hasattr(loan, "rescheduled_on"):
        return loan.rescheduled_on
    return loan.reschedules.order_by("-on").values_list("on", flat=True).first()


def loan_last_payment_date(loan: Loan) -> date | None:
    """The date of the loan's last payment not reversed (a reversed one no longer holds
    a later event back)."""
    return (
        loan.repayments.filter(reversal__isnull=True)
        .order_by("-paid_on")
        .values_list("paid_on", flat=True)
        .first()
    )


def _rows_settled(loan_id) -> Any:
    """The loan's current schedule rows settled (paid in full), each on the date of the
    payment that settled it (``settled_on``; a reversal unsettles it)."""
    return Instalment.objects.filter(
        loan_id=loan_id, is_current=True, settled=True, settled_on__isnull=False
    )


def loan_last_settled_date(loan: Loan) -> date | None:
    """The latest date a payment settled an instalment of the loan's current schedule
    (None: none settled). A payment dated before it would be applied after that row was
    paid, to the rows after it. The batch annotates it as ``settled_through`` on the
    loans it locks (no query per loan)."""
    if hasattr(loan, "settled_through"):
        return loan.settled_through
    return (
        _rows_settled(loan.pk).order_by("-settled_on").values_list("settled_on", flat=True).first()
    )


class FloorWhy(StrEnum):
    """What sets a loan event's earliest date (``loan_event_floor``)."""

    DISBURSED = "disbursed"
    CUTOVER = "cutover"
    RESCHEDULE = "reschedule"
    INSTALMENT_SETTLED = "instalment_settled"
    PAYMENT = "payment"


def loan_event_floor(loan: Loan, *, after_payments: bool = False) -> tuple[date | None, str]:
    """THE earliest date a payment, payoff, top-up, reschedule or exit settlement of
    ``loan`` may carry, and what sets it (``FloorWhy``): its disbursement; for a loan
    brought in at a move-in, the day after the cut-over (its opening balances —
    principal outstanding, jasa arrears on the receivable — are as at the end of that
    day: a payment dated on or before it is in them already, and would pay rows the old
    books had counted); its last reschedule's effective date (the schedule in force
    from then: a payment dated before it would be applied to rows that did not exist on
    its date); the latest date a payment settled one of its instalments (payments are
    applied in payment-date order, oldest instalment first: one dated before it would
    find that row paid already and pay the rows after it, with the penalty and paid-on
    dates of the posting order; the ledger keeps the later payment as posted, so the
    earlier one is refused, naming the way out: ``loan_event_date_refusal``; a later
    payment that settled no row — part of the penalty or of the oldest row — leaves the
    rows in date order, and the backdated one pays the penalty owed as of its date). ``after_payments``: also not before its last
    payment not reversed (an
    event that settles the loan in full, or replaces its schedule). Counter, bank,
    payroll batch (which annotates ``opening_on`` and ``rescheduled_on``: no query per
    loan), payoff, top-up, reschedule and exit settlement all take it from here. Returns
    ``(None, "")`` when nothing bounds it (a loan not paid out)."""
    opening = loan_opening_date(loan)
    bounds = [
        (loan.disbursed_on, FloorWhy.DISBURSED),
        (opening + timedelta(days=1) if opening else None, FloorWhy.CUTOVER),
        (loan_last_reschedule_date(loan), FloorWhy.RESCHEDULE),
        (loan_last_settled_date(loan), FloorWhy.INSTALMENT_SETTLED),
    ]
    if after_payments:
        bounds.append((loan_last_payment_date(loan), FloorWhy.PAYMENT))
    # the latest bound; on a tie, the later reason in this list (the more specific one)
    floor, why = None, ""
    for d, w in bounds:
        if d is not None and (floor is None or d >= floor):
            floor, why = d, w
    return floor, why


def loan_floor_annotations() -> dict[str, Any]:
    """What ``loan_event_floor`` reads of a loan beyond its own columns, as annotations for
    a loans query: ``opening_on`` (a loan brought in at a move-in: the cut-over, the date
    of its opening entry) and ``rescheduled_on`` (its last reschedule's date). A loan read
    with them gives its floor with no query of its own: the payroll batch's lock
    (``core.loans.batch``) and ``loans_payment_date_refusals`` read them so."""
    return {
        "opening_on": Case(
            When(
                disbursement_entry__source=JournalEntry.Source.OPENING,
                then=F("disbursement_entry__date"),
            ),
            default=None,
            output_field=DateField(),
        ),
        "rescheduled_on": Subquery(
            Reschedule.objects.filter(loan_id=OuterRef("pk")).order_by("-on").values("on")[:1]
        ),
        "settled_through": Subquery(
            _rows_settled(OuterRef("pk")).order_by("-settled_on").values("settled_on")[:1]
        ),
    }


def loan_floor_after(on: date) -> Q:
    """A filter of a loans query annotated with ``loan_floor_annotations``: the loans
    whose ``loan_event_floor`` (without ``after_payments``) is after ``on``, i.e. one of
    its bounds is — the only loans ``loan_event_date_refusal`` may refuse ``on``, so a
    query over thousands of loans (a 20,000-member payroll return's 30,000) reads those
    few, not every loan. The bounds are ``loan_event_floor``'s: change them together
    (the cut-over's bound is the day after it: after ``on`` when the cut-over is on or
    after ``on``)."""
    return (
        Q(disbursed_on__gt=on)
        | Q(opening_on__gte=on)
        | Q(rescheduled_on__gt=on)
        | Q(settled_through__gt=on)
    )


def loan_event_date_refusal_text(
    *, why: str, label: str, on: date, number: str, floor: date
) -> str:
    """The sentence of ``loan_event_date_refusal`` in the active language: ``on`` is too
    early for an event of ``label`` on loan ``number``, whose floor ``floor`` is set by
    ``why`` (``FloorWhy``). Also for a message kept as a code and rendered when read (a
    payroll import's row error, ``core.deductions.import_messages``)."""
    args = {"l": label, "d": format_tanggal(on), "n": number, "f": format_tanggal(floor)}
    if why == FloorWhy.CUTOVER:
        args["f"] = format_tanggal(floor - timedelta(days=1))
        msg = _(
            "%(l)s %(d)s tidak setelah tanggal pindah ke Lumbung (%(f)s): saldo awal "
            "pinjaman %(n)s sudah mencakup pembayaran sampai tanggal itu."
        )
    elif why == FloorWhy.RESCHEDULE:
        msg = _(
            "%(l)s %(d)s sebelum penjadwalan ulang pinjaman %(n)s (%(f)s): jadwal baru "
            "berlaku sejak tanggal itu; paling awal %(f)s."
        )
    elif why == FloorWhy.INSTALMENT_SETTLED:
        msg = _(
            "%(l)s %(d)s sebelum pembayaran bertanggal %(f)s yang sudah melunasi angsuran "
            "pinjaman %(n)s. Pembayaran dibukukan urut tanggal bayar (angsuran terlama "
            "lebih dulu), jadi pembayaran bertanggal lebih awal tidak dapat dicatat "
            "sesudahnya: pakai tanggal %(f)s atau sesudahnya, atau batalkan dulu pembayaran "
            "bertanggal %(f)s (dan yang sesudahnya), catat pembayaran ini, lalu catat lagi "
            "yang dibatalkan."
        )
    elif why == FloorWhy.PAYMENT:
        msg = _("%(l)s %(d)s sebelum pembayaran terakhir pinjaman %(n)s (%(f)s).")
    else:
        msg = _("%(l)s %(d)s sebelum pencairan pinjaman %(n)s (%(f)s).")
    return msg % args


def loan_event_date_refusal(
    loan: Loan, on: date, *, label: str, after_payments: bool = False, note: str = ""
) -> ApplicationError | None:
    """Why ``on`` is too early for an event of ``label`` ("Tanggal bayar", ...) on
    ``loan`` (``loan_event_floor``), naming the loan and what sets the floor; None when it
    is not. ``note``: a sentence added to the message (what the event does on its date).
    No query when the batch has annotated the loan (and ``after_payments`` is off)."""
    floor, why = loan_event_floor(loan, after_payments=after_payments)
    if floor is None or on >= floor:
        return None
    msg = loan_event_date_refusal_text(why=why, label=label, on=on, number=loan.number, floor=floor)
    if note:
        msg = f"{msg} {note}"
    return ApplicationError(LoanErrors.DATE_INVALID, msg, fields={"on": [msg]})


def check_loan_event_date(
    loan: Loan, on: date, *, label: str, after_payments: bool = False, note: str = ""
) -> date:
    """A loan event's date within the sane range (``check_loan_date``: the books, not in
    the future) and not before the loan's floor (``loan_event_date_refusal``)."""
    on = check_loan_date(on, field="on", label=label)
    refusal = loan_event_date_refusal(
        loan, on, label=label, after_payments=after_payments, note=note
    )
    if refusal is not None:
        raise refusal
    return on


def _fmt(d: date) -> str:
    return format_tanggal(d)  # ``5 Januari 2027``, as the pages say it (year 1 too)


def check_loan_date(value: date, *, field: str, label: str, future: bool = False) -> date:
    """Refuse a loan date outside the sane range: before the cooperative's books start
    (``loan_date_floor``), or after today (unless ``future``, for due dates, which the
    caller bounds). A clear message naming the field and the range. A loan's own floor:
    ``check_loan_event_date``."""
    if not isinstance(value, date):
        raise ApplicationError(
            LoanErrors.DATE_INVALID,
            _("%(label)s bukan tanggal yang valid.") % {"label": label},
            fields={field: [_("Tanggal tidak valid.")]},
        )
    floor = loan_date_floor()
    if value < floor:
        raise ApplicationError(
            LoanErrors.DATE_INVALID,
            _("%(label)s %(d)s terlalu awal: paling awal %(f)s.")
            % {"label": label, "d": _fmt(value), "f": _fmt(floor)},
            fields={field: [_("Paling awal %(f)s.") % {"f": _fmt(floor)}]},
        )
    today = timezone.localdate()
    if not future and value > today:
        raise ApplicationError(
            LoanErrors.DATE_INVALID,
            _("%(label)s %(d)s di masa depan: paling lambat hari ini (%(t)s).")
            % {"label": label, "d": _fmt(value), "t": _fmt(today)},
            fields={field: [_("Tidak boleh di masa depan.")]},
        )
    return value


def check_first_due_date(value: date, *, start: date, field: str = "first_due_date") -> date:
    """A first due date after ``start`` (the disbursement or the reschedule) and at most
    ``FIRST_DUE_MAX_MONTHS`` months after it."""
    latest = S.add_months(start, FIRST_DUE_MAX_MONTHS)
    if not isinstance(value, date) or not (start < value <= latest):
        raise ApplicationError(
            LoanErrors.DATE_INVALID,
            _("Jatuh tempo pertama harus setelah %(s)s dan paling lambat %(l)s (%(n)s bulan).")
            % {"s": _fmt(start), "l": _fmt(latest), "n": FIRST_DUE_MAX_MONTHS},
            fields={field: [_("Antara %(s)s dan %(l)s.") % {"s": _fmt(start), "l": _fmt(latest)}]},
        )
    return value


def _require_role(by, roles, what: str) -> None:
    if not (by and getattr(by, "is_authenticated", False) and by.role in roles):
        raise ApplicationError(
            LoanErrors.PERMISSION,
            _("Peran Anda tidak berwenang untuk %(what)s.") % {"what": what},
            status=403,
        )


def _money(value: Any, *, field: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise ApplicationError(LoanErrors.INVALID, _("Jumlah uang tidak boleh float."))
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except Exception:
        raise ApplicationError(
            LoanErrors.INVALID, _("Jumlah tidak valid."), fields={field: [_("Bukan angka.")]}
        )
    if not d.is_finite():
        raise ApplicationError(LoanErrors.INVALID, _("Jumlah tidak valid."))
    # the money columns hold 16 whole digits: anything larger cannot be a real amount
    # (and 1e30 would overflow Decimal's quantize further on)
    if d.copy_abs() >= MONEY_LIMIT:  # abs() would overflow on 1e1000000000
        raise ApplicationError(
            LoanErrors.INVALID, _("Jumlah terlalu besar."), fields={field: [_("Terlalu besar.")]}
        )
    return d


def _whole_positive(value: Any, *, field: str, label: str) -> Decimal:
    d = _money(value, field=field)
    if d <= 0:
        raise ApplicationError(
            LoanErrors.AMOUNT_NOT_POSITIVE,
            _("%(label)s harus lebih dari nol.") % {"label": label},
            fields={field: [_("Harus lebih dari nol.")]},
        )
    if d != d.to_integral_value():
        raise ApplicationError(
            LoanErrors.AMOUNT_NOT_WHOLE,
            _("%(label)s harus rupiah bulat.") % {"label": label},
            fields={field: [_("Harus rupiah bulat.")]},
        )
    return d.quantize(Decimal("1"))


def members_language():
    """Where a member's e-mail is written: in the cooperative's language
    (``LANGUAGE_CODE``), whatever the language of the staff screen that acted — a
    member has no language of their own here."""
    return translation.override(settings.LANGUAGE_CODE)


def _notify(loan: Loan, texts: Callable[[], tuple[str, str]]) -> None:
    """E-mail the member (if they have an address) once the transaction commits.
    ``texts`` writes the subject and body: it is called here, in the members' language
    (``members_language``), so no caller can write a member's mail in the staff
    screen's language; the figures are those of the moment of the call."""
    email = loan.member.email
    if not email:
        return
    with members_language():
        subject, body = texts()

    def send() -> None:
        send_mail(subject, body, None, [email], fail_silently=True)

    transaction.on_commit(send)


def _lock(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("product", "member").get(pk=loan.pk)


def _refuse_own(loan: Loan, by, what: str) -> None:
    if loan.applied_by_id == by.pk:
        raise ApplicationError(
            LoanErrors.OWN_APPLICATION,
            _("Anda tidak boleh %(what)s pengajuan yang Anda buat sendiri.") % {"what": what},
            status=403,
        )


def _expect_status(loan: Loan, *statuses: str, code=LoanErrors.WRONG_STATUS) -> None:
    if loan.status not in statuses:
        raise ApplicationError(
            code,
            _("Pinjaman %(n)s berstatus %(s)s; tindakan ini tidak dapat dilakukan.")
            % {"n": loan.number, "s": loan.get_status_display()},
        )


# --- ledger glue --------------------------------------------------------------------


def _line(
    role: str,
    *,
    debit=ZERO,
    credit=ZERO,
    member_id=None,
    memo="",
    accounts=None,
    non_cash: bool = False,
):
    """A ledger line on the account mapped to ``role`` (``accounts``: roles already
    resolved by a batch, so each role is looked up once; ``non_cash``: one side of a
    non-cash pair inside an entry touching cash, no flow in the cash flow)."""
    if accounts is not None:
        if role not in accounts:
            accounts[role] = account_for_role(role)
        account = accounts[role]
    else:
        account = account_for_role(role)
    return LineSpec(
        account=account,
        debit=debit,
        credit=credit,
        member_id=member_id,
        memo=memo,
        non_cash=non_cash,
    )


def _post(*, on: date, description: str, lines: list, source_ref: str, by):
    return journal_post(
        on=on, description=description, lines=lines, source="loan", source_ref=source_ref, by=by
    )


def savings_credit(*, member: Member, kind: str, amount: Decimal, on: date, by, memo: str):
    """Credit ``amount`` to the member's savings of ``kind`` ("wajib" for wajib pinjam,
    "sukarela" for over-payments). Returns ``(lines, transactions)``: the ledger lines
    to post and the savings transactions to link to the entry. The one place that calls
    the savings module."""
    product = SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("id").first()
    if product is None:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Produk simpanan %(k)s belum ada; tidak dapat mengkredit simpanan anggota.")
            % {"k": kind},
        )
    account = savings_account_get_or_open(member=member, product=product, on=on, by=by)
    applied = savings_deposit_apply(
        account=account,
        amount=amount,
        on=on,
        by=by,
        channel=SavingsTransaction.Channel.INTERNAL,
        kind=SavingsTransaction.Kind.TRANSFER_IN,
        memo=memo,
    )
    return list(applied.lines), [applied.transaction]


def _link_savings(transactions: list, entry) -> None:
    if transactions:
        transactions_link_entry(transactions=transactions, entry=entry)


def schedule_version_next(loan: Loan) -> int:
    """The number of the loan's next schedule version: above every version its rows have
    used, current or kept as history (and above ``Loan.schedule_version``). Not
    ``schedule_version + 1``: a reversed payment whose excess went to principal puts the
    version back to the rows current again, and the rows it had re-amortised keep theirs
    as history (the unique loan, version, number)."""
    used = Instalment.objects.filter(loan_id=loan.pk).aggregate(v=Max("version"))["v"]
    return max(used or 0, loan.schedule_version) + 1


def schedule_version_current(loan: Loan) -> int:
    """The version ``Loan.schedule_version`` names: the newest of the loan's current rows
    (a re-amortisation or a reschedule replaces the rows after a point; the rows before
    it stay current with their older version)."""
    current = Instalment.objects.filter(loan_id=loan.pk, is_current=True).aggregate(
        v=Max("version")
    )["v"]
    return current or loan.schedule_version


def _instalments_create(loan: Loan, sched, *, version: int, first_number: int = 1) -> None:
    """Write a schedule's rows (``schedules.build_schedule``) as the loan's instalments of
    ``version``, numbered on from ``first_number``: at disbursement, after a
    re-amortisation, at a reschedule."""
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan,
            version=version,
            number=first_number + i,
            due_date=r.due_date,
            principal=r.principal,
            jasa=r.jasa,
        )
        for i, r in enumerate(sched.rows)
    )
