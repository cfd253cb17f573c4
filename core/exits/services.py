"""Exit settlement (penyelesaian keluar anggota): resign, retire, move or death.

settlement = all savings + jasa simpanan not yet run + unpaid SHU − loans outstanding
(principal + jasa due);
on death the board may waive the loans (with a reason and decision reference).
Confirming posts one journal entry, closes every savings account and sets the member's
status. Nothing is deleted.

A member ALREADY marked as left outside the exit flow (existing data: the status set
while their accounts and loans stayed open; the database refuses that now) is settled by
the same calculation and posting (``exit_settlement_left_open_confirm``, the exit screen's
*Selesaikan rekening yang masih terbuka*): what they left open is paid out and closed,
their status and exit date stay; reversed like an exit, without making them active.

Jasa simpanan: the exit closes the accounts and the monthly run only reaches open ones,
so the settlement credits, per interest-bearing account, the jasa of every finished month
the run has not paid yet (``core.savings.services.interest_unpaid_at_exit``: the run's
own rule), posted as the run would (one entry per product and month, dated the month's
last day) in the settlement's transaction, and pays it out. The exit's own month is
credited too, from its first day to the exit date (``interest_exit_month_due``: on the
average daily balance the days before the exit, pro-rata; on the minimum balance nothing,
the payout being the month's lowest balance), dated the exit date and posted in the
settlement's own entry. The ``interest`` movement is the month's record on the account:
the run skips an account holding one. A finished month that can no longer be posted
(closed) refuses the exit rather than lose the member's jasa.

Loans: ``core.loans.selectors.member_loans_outstanding`` gives what settling each running
loan costs; ``core.loans.services.member_loans_settle_apply`` closes them and returns the
ledger lines crediting the receivables. SHU not yet paid is the member's balance on the
``shu_members_payable`` account. These are called directly: an error in any of them stops
the settlement with that error — a money path never reads a failure as zero.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_tanggal
from core.common.errors import REASON_MAX_LENGTH, ApplicationError, CommonErrors, reason_required
from core.common.money import format_rupiah
from core.common.permissions import TREASURY, R
from core.deductions.models import DeductionImport, DeductionRun
from core.deductions.services import POSTING_STALE
from core.exits.audit import ExitAudit
from core.ledger.errors import LedgerErrors
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import (
    LineSpec,
    books_closed_until,
    journal_post,
    journal_reverse,
    posting_months_lock,
)
from core.loans.models import Loan, Repayment
from core.loans.selectors import member_loans_outstanding
from core.loans.services import (
    WaivedLoan,
    loan_repayment_reverse_apply,
    loan_write_offs_at_exit_record,
    member_loans_settle_apply,
    member_loans_settle_refusals,
    member_loans_waive_apply,
)
from core.members.models import Member, MemberChange
from core.members.selectors import heir_parts
from core.members.services import member_status_set
from core.savings.models import ExitSettlement, InterestRun, SavingsAccount, SavingsTransaction
from core.savings.services import (
    InterestCredit,
    check_not_frozen,
    frozen_refusal,
    interest_credit_at_exit,
    interest_days_label,
    interest_exit_month_apply,
    interest_exit_month_due,
    interest_exit_month_unrun,
    interest_unpaid_at_exit,
    savings_accounts_lock,
    savings_movement_reverse_apply,
    savings_withdraw_apply,
    transactions_link_entry,
)
from core.savings.services.common import SavingsErrors
from core.savings.services.reversal import _require_treasury, check_period_open
from core.savings.services.teller import _counter_account
from core.yearend.services import shu_shares_settle_at_exit, shu_shares_unsettle_at_exit

ZERO = Decimal("0")
EXIT_REASONS = ("resigned", "retired", "moved", "deceased")
# who confirms a settlement (the screen's writers too)
SETTLE_ROLES = TREASURY | {R.KETUA}


class SettlementErrors(StrEnum):
    NOT_ACTIVE = "settlement_member_not_active"
    REASON = "settlement_bad_reason"
    NEGATIVE = "settlement_loans_exceed_savings"
    WAIVER = "settlement_bad_waiver"
    CHANGED = "settlement_changed"
    NOT_SETTLED = "exit_not_settled"
    DATE = "settlement_bad_date"
    PAYROLL_POSTING = "settlement_payroll_posting"
    PAYEE = "settlement_bad_payee"
    INTEREST_CLOSED = "settlement_interest_month_closed"
    REJOINED = "exit_member_rejoined"
    # the settlement of a member already marked as left (accounts and loans left open)
    ACTIVE = "settlement_member_active"
    NOTHING_LEFT_OPEN = "settlement_nothing_left_open"
    ALREADY_SETTLED = "settlement_already_made"


def _loans_outstanding(member: Member, on: date) -> tuple[Decimal, list]:
    """(total, details) of the member's running loans on ``on``, from the loans module's
    payoff quote. An error there stops the settlement: nothing is guessed as zero."""
    total = ZERO
    details = []
    for item in member_loans_outstanding(member, on):
        amount = item["outstanding"]
        total += amount
        details.append({"label": item["label"], "amount": amount})
    return total, details


def _shu_unpaid(member: Member) -> Decimal:
    """The member's SHU share declared and not yet paid (the ``shu_members_payable``
    account). An unmapped account is an error that stops the settlement."""
    return max(
        account_balance(account=account_for_role("shu_members_payable"), member_id=member.pk),
        ZERO,
    )


@dataclass
class SettlementPreview:
    member: Member
    on: date
    accounts: list[SavingsAccount] = field(default_factory=list)
    savings_total: Decimal = ZERO
    shu_unpaid: Decimal = ZERO
    loans_outstanding: Decimal = ZERO
    loans: list = field(default_factory=list)
    # the jasa simpanan not yet run that the settlement credits: per account and month
    # (``_interest_lines``), their net total, and the credits as computed
    interest: list[dict] = field(default_factory=list)
    interest_total: Decimal = ZERO
    credits: list[InterestCredit] = field(default_factory=list)
    # why a product credits nothing for the exit's own month (the minimum-balance basis)
    interest_notes: list[str] = field(default_factory=list)
    # what stops the settlement (a month's jasa that can no longer be posted)
    warnings: list[str] = field(default_factory=list)
    # a frozen account stops it too: the refusal of each (number, since when, reason),
    # the message confirming would raise (``check_not_frozen``), said before it is tried
    refusals: list[str] = field(default_factory=list)
    # a running loan that cannot be settled on ``on`` (dated on or before a move-in's
    # cut-over, before its last reschedule or payment): ``_exit_date_check`` would raise
    loan_refusals: list[str] = field(default_factory=list)
    # the member is already marked as left (outside the exit): what this settles is what
    # they left open, their status and exit date stay (``exit_settlement_left_open_confirm``)
    left_open: bool = False

    @property
    def finished_months_credited(self) -> bool:
        """Jasa of a finished month the run has not paid is among the lines."""
        return any(not x["until"] for x in self.interest)

    @property
    def exit_month_credited(self) -> bool:
        """Jasa of the exit's own month is among the lines (the screen explains it)."""
        return any(x["until"] for x in self.interest)

    @property
    def refused(self) -> bool:
        """Confirming would be refused (the screen offers no confirm button)."""
        return bool(self.refusals or self.warnings or self.loan_refusals)

    def net(self, *, waive_loans: bool = False) -> Decimal:
        loans = ZERO if waive_loans else self.loans_outstanding
        return self.savings_total + self.interest_total + self.shu_unpaid - loans

    @property
    def net_payable(self) -> Decimal:
        return self.net()


def exit_settlement_preview(*, member: Member, on: date) -> SettlementPreview:
    accounts = list(
        SavingsAccount.objects.filter(member=member, status="open")
        .select_related("product")
        .order_by("product_id", "pk")
    )
    loans_total, loans = _loans_outstanding(member, on)
    credits = interest_unpaid_at_exit(accounts=accounts, on=on)
    credits += interest_exit_month_due(accounts=accounts, on=on, pending=credits)
    interest = _interest_lines(credits, accounts)
    return SettlementPreview(
        member=member,
        on=on,
        accounts=accounts,
        savings_total=sum((a.balance for a in accounts), ZERO),
        shu_unpaid=_shu_unpaid(member),
        loans_outstanding=loans_total,
        loans=loans,
        interest=interest,
        interest_total=sum((x["net"] for x in interest), ZERO),
        credits=credits,
        interest_notes=_exit_month_notes(accounts, on),
        warnings=[m for m, _code in _interest_months_closed(interest)],
        refusals=[m for a in accounts if (m := frozen_refusal(a)) is not None],
        loan_refusals=[str(e.message) for e in member_loans_settle_refusals(member, on)],
        left_open=not member.is_active,
    )


def exit_settlement_future_notice(on: date) -> str:
    """Said instead of confirming when the settlement date is after today: the figures
    are an estimate, and the settlement's journal entry cannot be dated in the future
    (the ledger refuses it), so it is confirmed on or after that date. Empty for today
    or earlier."""
    if on <= timezone.localdate():
        return ""
    return _(
        "Tanggal keluar %(d)s belum tiba: penyelesaian baru dapat dikonfirmasi pada tanggal "
        "itu atau sesudahnya, karena jurnal tidak menerima tanggal yang akan datang. Angka "
        "di samping hanya perkiraan (jasa, denda dan setoran sampai tanggal itu dapat "
        "berubah)."
    ) % {"d": format_tanggal(on)}


def exit_settlement_refusals(*, preview: SettlementPreview) -> list[tuple[str, str]]:
    """Every refusal confirming ``preview`` as it stands would meet, ``(code, message)``,
    in the order the confirmation checks them — what the screen says before it offers
    the button, for a client that has no screen (the API): the member's state (for one
    already marked as left, the left-open settlement's: settled already, nothing left
    open, a date before the exit), a date in the future, a frozen account, a date
    before the member joined or their last movement, a running loan's own floor, a
    payroll batch being posted with the member, a month's jasa that can no longer be
    posted, loans above what is paid out (unless written off on death). The request's
    own choices (reason, payee, waiver) are checked when it is confirmed. Reads only."""
    member, on = preview.member, preview.on
    found: list[tuple[str, str]] = []

    def check(fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except ApplicationError as e:
            found.append((e.code, str(e.message)))

    if not member.is_active:
        check(_left_open_check, member, reason="", on=on)
    if notice := exit_settlement_future_notice(on):
        found.append((LedgerErrors.FUTURE_DATE, notice))
    found += [(SavingsErrors.ACCOUNT_FROZEN, m) for m in preview.refusals]
    check(_exit_date_check, member, on)
    said = {m for _c, m in found}
    found += [(SettlementErrors.DATE, m) for m in preview.loan_refusals if m not in said]
    check(_payroll_posting_check, member)
    found += [(code, m) for m, code in _interest_months_closed(preview.interest)]
    check(_net_payable_checked, preview, waive_loans=False, expected_net=None)
    return [(str(code), message) for code, message in found]


def _month_named(year: int, month: int) -> str:
    return format_bulan(date(year, month, 1))


def _interest_lines(credits: list[InterestCredit], accounts: list[SavingsAccount]) -> list[dict]:
    """The settlement's jasa lines: one per account and month, named ("Jasa simpanan
    Sukarela November 2026"; the exit's own month with its days: "…, tanggal 1–15
    (sampai keluar)"), gross, PPh and net."""
    by_pk = {a.pk: a for a in accounts}
    lines = []
    for c in credits:
        names = {
            "p": by_pk[c.account_id].product.name,
            "b": _month_named(c.year, c.month),
        }
        lines.append(
            {
                "account": by_pk[c.account_id].number,
                "product_id": c.product_id,
                "product": by_pk[c.account_id].product.name,
                "year": c.year,
                "month": c.month,
                "until": c.until,
                "label": (
                    _("Jasa simpanan %(p)s %(b)s, tanggal %(d)s (sampai keluar)")
                    % (names | {"d": interest_days_label(c.until, c.since)})
                    if c.until
                    else _("Jasa simpanan %(p)s %(b)s") % names
                ),
                "interest": c.interest,
                "tax": c.tax,
                "net": c.interest - c.tax,
            }
        )
    return lines


def _exit_month_notes(accounts: list[SavingsAccount], on: date) -> list[str]:
    """Said on the screen for each product that credits nothing for the exit's own month
    by its basis: on the month's lowest balance, the payout makes that zero."""
    held = {a.product_id for a in accounts if a.balance > 0}
    return [
        _(
            "Jasa simpanan %(p)s %(b)s (bulan keluar): tidak ada. Produk ini menghitung jasa "
            "atas saldo terendah bulan itu, dan saldo menjadi nol saat dibayarkan pada "
            "penyelesaian ini."
        )
        % {"p": p.name, "b": _month_named(on.year, on.month)}
        for p in interest_exit_month_unrun(accounts=accounts, on=on)
        if p.pk in held and p.interest_basis == p.InterestBasis.MINIMUM
    ]


def _interest_months_closed(interest: list[dict]) -> list[tuple[str, str]]:
    """The finished months whose jasa the settlement would credit but can no longer post
    (closed on the ledger): the member would lose it, so the settlement is refused. (The
    exit's own month is posted with the settlement, on its date: a closed one refuses
    the settlement itself.)"""
    closed = books_closed_until()
    if closed is None:
        return []
    seen: dict[tuple, str] = {}
    for x in interest:
        key = (x["product"], x["year"], x["month"])
        if key in seen or x["until"] or date(x["year"], x["month"], 1) > closed:
            continue
        names = {
            "p": x["product"],
            "b": _month_named(x["year"], x["month"]),
            "c": format_tanggal(closed),
        }
        if not InterestRun.objects.filter(
            product_id=x["product_id"], reversed_at__isnull=True
        ).exists():
            # never run: the month before the exit is the member's, as the auto run
            # would pay it next; the cooperative may not mean to pay jasa on it at all
            seen[key] = (
                _(
                    "Jasa simpanan %(p)s belum pernah dihitung, dan bulan %(b)s — jasa yang "
                    "menjadi hak anggota ini — sudah ditutup (sampai %(c)s): jasa itu tidak "
                    "dapat dikreditkan, sehingga penyelesaian tidak dapat dilakukan. Buka "
                    "kembali periode itu, lalu hitung jasanya atau selesaikan keluarnya; bila "
                    "koperasi tidak membayar jasa atas produk ini, matikan jasanya di pengaturan "
                    "produk."
                )
                % names
            )
            continue
        seen[key] = (
            _(
                "Jasa simpanan %(p)s bulan %(b)s belum dihitung dan bulan itu sudah ditutup "
                "(sampai %(c)s): jasa anggota ini tidak dapat dikreditkan, sehingga penyelesaian "
                "tidak dapat dilakukan. Buka kembali periode itu, lalu hitung jasanya atau "
                "selesaikan keluarnya."
            )
            % names
        )
    return [(m, SettlementErrors.INTEREST_CLOSED) for m in seen.values()]


def _require_settler(by) -> None:
    if getattr(by, "role", None) not in SETTLE_ROLES:
        raise ApplicationError(
            CommonErrors.PERMISSION_DENIED,
            _("Hanya bendahara, ketua atau admin yang dapat menyelesaikan keluar anggota."),
            status=403,
        )


@transaction.atomic
def exit_settlement_confirm(
    *,
    member: Member,
    reason: str,
    on: date,
    by,
    channel: str = "bank",
    payee: str = "",
    waive_loans: bool = False,
    waiver_reason: str = "",
    board_decision_ref: str = "",
    expected_net: Decimal | None = None,
) -> ExitSettlement:
    """Settle and close. ``expected_net`` (what the screen showed) guards against a
    deposit landing between preview and confirm."""
    _require_settler(by)
    member = Member.objects.select_for_update().get(pk=member.pk)
    waiver_reason = (waiver_reason or "").strip()
    if not member.is_active:
        raise _not_active_error(member)
    settlement, preview = _settle(
        member=member,
        reason=reason,
        on=on,
        by=by,
        channel=channel,
        payee=payee,
        waive_loans=waive_loans,
        waiver_reason=waiver_reason,
        board_decision_ref=board_decision_ref,
        expected_net=expected_net,
    )
    member_status_set(
        member=member,
        status=reason,
        on=on,
        reason=waiver_reason or dict(Member.Status.choices)[reason],
        by=by,
    )
    _settlement_audit(
        action=ExitAudit.EXIT_SETTLEMENT,
        by=by,
        settlement=settlement,
        preview=preview,
        waiver_reason=waiver_reason,
        waive_loans=waive_loans,
    )
    return settlement


@transaction.atomic
def exit_settlement_left_open_confirm(
    *,
    member: Member,
    on: date,
    by,
    reason: str = "",
    channel: str = "bank",
    payee: str = "",
    waive_loans: bool = False,
    waiver_reason: str = "",
    board_decision_ref: str = "",
    expected_net: Decimal | None = None,
) -> ExitSettlement:
    """Settle what a member ALREADY marked as left still holds open (existing data: the
    status set outside the exit flow, their savings accounts and loans left open): the
    exit settlement's own calculation and posting — every open account paid out (pokok,
    wajib, sukarela, berjangka, with the jasa simpanan not yet run) and closed, the
    running loans offset (or written off on death, by the board's decision), the unpaid
    SHU paid — dated ``on`` (not before their exit date), in one journal entry. The
    member keeps the status and exit date they have; ``reason`` may be left out, and
    must be that status if given. Refused: an active member (the ordinary exit), nothing
    left open, a settlement already made (reverse it first). Reversed as an exit
    settlement (``exit_settlement_reverse``), which leaves the member as they were.
    Audited (``member.exit_settlement_left_open``)."""
    _require_settler(by)
    member = Member.objects.select_for_update().get(pk=member.pk)
    waiver_reason = (waiver_reason or "").strip()
    _left_open_check(member, reason=reason, on=on)
    settlement, preview = _settle(
        member=member,
        reason=member.status,
        on=on,
        by=by,
        channel=channel,
        payee=payee,
        waive_loans=waive_loans,
        waiver_reason=waiver_reason,
        board_decision_ref=board_decision_ref,
        expected_net=expected_net,
        left_open=True,
    )
    _settlement_audit(
        action=ExitAudit.EXIT_SETTLEMENT_LEFT_OPEN,
        by=by,
        settlement=settlement,
        preview=preview,
        waiver_reason=waiver_reason,
        waive_loans=waive_loans,
        extra={
            "exit_date": member.exit_date.isoformat() if member.exit_date else None,
            "on": on.isoformat(),
            "accounts": [a.number for a in preview.accounts],
            "loans_closed": [x["label"] for x in preview.loans],
        },
    )
    return settlement


def _settlement_audit(
    *,
    action: ExitAudit,
    by,
    settlement: ExitSettlement,
    preview: SettlementPreview,
    waiver_reason: str,
    waive_loans: bool,
    extra: dict | None = None,
) -> None:
    """The settlement's audit row, an exit's and a left-open one's alike: the reason
    (the status the member leaves or left with: the settlement's), what it paid and
    from what (savings, jasa, SHU, loans, waived or not), and what the kind adds
    (``extra``); the waiver's reason as the event's reason."""
    audit_log(
        actor=by,
        action=action,
        target=settlement.member,
        reason=waiver_reason,
        data={
            "reason": settlement.reason,
            "net_payable": str(settlement.net_payable),
            "savings": str(preview.savings_total),
            "interest": str(preview.interest_total),
            "shu": str(preview.shu_unpaid),
            "loans": str(preview.loans_outstanding),
            "waived": waive_loans,
        }
        | (extra or {}),
    )


def _settle(
    *,
    member: Member,
    reason: str,
    on: date,
    by,
    channel: str,
    payee: str,
    waive_loans: bool,
    waiver_reason: str,
    board_decision_ref: str,
    expected_net: Decimal | None,
    left_open: bool = False,
) -> tuple[ExitSettlement, SettlementPreview]:
    """The settlement itself, for an exit and for what a member who left still holds
    open alike (the member locked by the caller): the request checked
    (``_exit_request_check``), every open account paid out and closed, the loans
    settled, the unpaid SHU paid, one journal entry, the ``ExitSettlement`` row. Sets no
    status."""
    _exit_request_check(
        member=member,
        reason=reason,
        payee=payee,
        waive_loans=waive_loans,
        waiver_reason=waiver_reason,
        board_decision_ref=board_decision_ref,
    )
    notice = exit_settlement_future_notice(on)
    if notice:
        raise ApplicationError(
            LedgerErrors.FUTURE_DATE, notice, fields={"on": [_("Tanggal belum tiba.")]}
        )
    counter = _counter_account(channel)
    accounts = savings_accounts_lock(
        SavingsAccount.objects.filter(member=member, status="open").values_list("pk", flat=True)
    )
    for acc in accounts.values():  # a frozen account is neither paid out nor closed
        check_not_frozen(acc)
    _exit_date_check(member, on)
    _payroll_posting_check(member)
    preview = exit_settlement_preview(member=member, on=on)
    for message, code in _interest_months_closed(preview.interest):
        raise ApplicationError(code, message, status=409)
    net = _net_payable_checked(preview, waive_loans=waive_loans, expected_net=expected_net)
    again = member.exit_settlements.count()
    interest_entries = interest_credit_at_exit(
        credits=[c for c in preview.credits if c.until is None],
        accounts=accounts,
        by=by,
        # settled again after a reversal: its own reference (:r1, :r2, ...)
        ref=f"{member.pk}" + (f":r{again}" if again else ""),
    )
    # the exit's own month: credited on the exit date, in the settlement's entry, before
    # the balances (with it) are paid out
    lines, txns = interest_exit_month_apply(
        credits=[c for c in preview.credits if c.until is not None], accounts=accounts, by=by
    )
    # crediting it moves no cash (the payout of the balance, jasa included, is the flow):
    # its lines (Dr expense = Cr savings + Cr PPh payable) are a marked non-cash pair, as
    # the finished months' jasa credited above in entries of their own is no flow
    lines = [replace(x, non_cash=True) for x in lines]
    paid_lines, paid_txns = _savings_withdrawn_all(accounts, on=on, by=by)
    txns += paid_txns
    shu_lines, loan_lines, waived = _shu_and_loans_settled(
        preview, on=on, by=by, waive_loans=waive_loans, waiver_reason=waiver_reason
    )
    paid_lines, loan_lines = _loans_set_off(payouts=paid_lines + shu_lines, loans=loan_lines)
    lines += paid_lines + loan_lines
    if net > 0:
        lines.append(
            LineSpec(account=counter, credit=net, memo=_("Pembayaran penyelesaian keluar"))
        )
    entry = _settlement_journal_post(
        member, reason=reason, lines=lines, txns=txns, on=on, by=by, left_open=left_open
    )
    _savings_accounts_close(accounts, on=on)
    payee, payee_name = _payee_named(member, reason=reason, payee=payee)
    settlement = ExitSettlement.objects.create(
        member=member,
        reason=reason,
        on=on,
        savings_total=preview.savings_total,
        interest_credited=preview.interest_total,
        shu_unpaid=preview.shu_unpaid,
        loans_outstanding=preview.loans_outstanding,
        loans_waived=preview.loans_outstanding if waive_loans else ZERO,
        net_payable=net,
        payee=payee,
        payee_name=payee_name,
        channel=channel,
        waiver_reason=waiver_reason,
        board_decision_ref=(board_decision_ref or "").strip(),
        left_open=left_open,
        details=_settlement_details(preview, interest_entries, entry)
        | {
            "heirs": _heir_amounts(member, payee, net),
            # the unpaid SHU it paid, marked paid on the member's posted shares
            "shu_shares": shu_shares_settle_at_exit(member_id=member.pk, amount=preview.shu_unpaid)
            if preview.shu_unpaid > 0
            else {},
        },
        journal_entry=entry,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    # the loans waived: each a write-off record naming the settlement and its entry
    loan_write_offs_at_exit_record(
        waived=waived,
        settlement=settlement,
        by=by,
        reason=waiver_reason,
        decision_ref=settlement.board_decision_ref,
    )
    return settlement, preview


def left_open_items(member: Member) -> tuple[int, int]:
    """(open savings accounts, running loans) of ``member``: what a member marked as left
    outside the exit still holds open (an active member's are simply theirs)."""
    return (
        SavingsAccount.objects.filter(member=member, status=SavingsAccount.Status.OPEN).count(),
        Loan.objects.filter(member=member, status=Loan.Status.DISBURSED).count(),
    )


def _not_active_error(member: Member) -> ApplicationError:
    """The exit of a member who is no longer active: refused; what they left open (if
    anything) is settled by the left-open settlement, which the message names."""
    msg = _("Anggota %(m)s sudah tidak aktif (%(s)s).") % {
        "m": member,
        "s": member.get_status_display(),
    }
    accounts, loans = left_open_items(member)
    if (accounts or loans) and not member.exit_settlements.filter(
        reversed_at__isnull=True
    ).exists():
        msg += " " + _(
            "Yang masih terbuka (%(a)s rekening simpanan, %(l)s pinjaman) diselesaikan dengan "
            'tombol "Selesaikan rekening yang masih terbuka" di layar penyelesaian keluar '
            "anggota ini."
        ) % {"a": accounts, "l": loans}
    return ApplicationError(SettlementErrors.NOT_ACTIVE, msg, status=409)


def _left_open_check(member: Member, *, reason: str, on: date) -> None:
    """The left-open settlement: only for a member already marked as left, who still
    holds an open savings account or a running loan and has no settlement not reversed;
    dated on or after their exit date; ``reason`` (if given) is the status they left
    with."""
    if member.is_active:
        raise ApplicationError(
            SettlementErrors.ACTIVE,
            _(
                "Anggota %(m)s masih aktif: gunakan penyelesaian keluar (pilih alasan "
                "keluar), yang juga mengubah statusnya."
            )
            % {"m": member},
        )
    status = member.get_status_display()
    if reason and reason != member.status:
        raise ApplicationError(
            SettlementErrors.REASON,
            _(
                "Anggota %(m)s sudah tercatat keluar dengan status %(s)s: penyelesaian ini "
                "tidak mengubah statusnya."
            )
            % {"m": member, "s": status},
            fields={"reason": [_("Tidak sesuai status anggota.")]},
        )
    done = member.exit_settlements.filter(reversed_at__isnull=True).first()
    accounts, loans = left_open_items(member)
    if done is not None and (accounts or loans):
        raise ApplicationError(
            SettlementErrors.ALREADY_SETTLED,
            _(
                "Anggota %(m)s sudah punya penyelesaian keluar tanggal %(d)s. Rekening atau "
                "pinjaman yang masih terbuka sesudahnya diselesaikan dengan membatalkan "
                "penyelesaian itu lalu menyelesaikan keluarnya lagi."
            )
            % {"m": member, "d": format_tanggal(done.on)},
            status=409,
        )
    if not (accounts or loans):
        raise ApplicationError(
            SettlementErrors.NOTHING_LEFT_OPEN,
            _(
                "Anggota %(m)s sudah keluar (%(s)s) dan tidak punya rekening simpanan atau "
                "pinjaman yang masih terbuka: tidak ada yang diselesaikan."
            )
            % {"m": member, "s": status},
            status=409,
        )
    if member.exit_date is not None and on < member.exit_date:
        raise ApplicationError(
            SettlementErrors.DATE,
            _(
                "Tanggal penyelesaian %(d)s sebelum tanggal keluar anggota ini (%(x)s): pilih "
                "tanggal itu atau sesudahnya."
            )
            % {"d": format_tanggal(on), "x": format_tanggal(member.exit_date)},
            fields={"on": [_("Sebelum tanggal keluar.")]},
        )


def _exit_request_check(
    *,
    member: Member,
    reason: str,
    payee: str,
    waive_loans: bool,
    waiver_reason: str,
    board_decision_ref: str,
) -> None:
    """A known reason; the heirs are paid only for a deceased member who has heirs
    registered (the settlement names them); loans are waived only for a deceased member,
    with a reason and the board's decision number."""
    if reason not in EXIT_REASONS:
        raise ApplicationError(
            SettlementErrors.REASON,
            _(
                "Alasan keluar harus salah satu: resigned (keluar), retired (pensiun), "
                "moved (pindah), deceased (meninggal)."
            ),
            fields={"reason": [_("Tidak valid.")]},
        )
    if waive_loans and reason != "deceased":
        raise ApplicationError(
            SettlementErrors.WAIVER,
            _("Penghapusan pinjaman hanya untuk anggota yang meninggal dunia."),
            fields={"waive_loans": [_("Hanya jika meninggal.")]},
        )
    if waive_loans and (not waiver_reason or not (board_decision_ref or "").strip()):
        raise ApplicationError(
            SettlementErrors.WAIVER,
            _("Penghapusan pinjaman wajib disertai alasan dan nomor keputusan pengurus."),
            fields={"waiver_reason": [_("Wajib diisi.")]},
        )
    payee = payee or ("heirs" if reason == "deceased" else "member")
    if payee not in ExitSettlement.Payee.values:
        raise ApplicationError(
            SettlementErrors.PAYEE,
            _("Penerima pembayaran harus anggota atau ahli waris."),
            fields={"payee": [_("Tidak valid.")]},
        )
    if payee == ExitSettlement.Payee.HEIRS and reason != "deceased":
        raise ApplicationError(
            SettlementErrors.PAYEE,
            _("Pembayaran kepada ahli waris hanya untuk anggota yang meninggal dunia."),
            fields={"payee": [_("Hanya jika meninggal.")]},
        )
    if payee == ExitSettlement.Payee.HEIRS and not member.heirs.filter(is_active=True).exists():
        raise ApplicationError(
            SettlementErrors.PAYEE,
            _(
                "Anggota ini belum punya ahli waris terdaftar: tambahkan ahli waris di halaman "
                "anggota dulu, lalu konfirmasi penyelesaiannya."
            ),
            fields={"payee": [_("Belum ada ahli waris.")]},
        )


def _exit_date_check(member: Member, on: date) -> None:
    """The settlement is dated no earlier than the member joined nor than their last
    savings or loan movement: it pays out what is there on its date (a withdrawal dated
    before a deposit would run the account negative in between, and the deposit would
    later count as a movement after the settlement, so it could not be reversed), nor
    before a running loan's own floor (``member_loans_settle_refusals``)."""
    if on < member.join_date:
        raise ApplicationError(
            SettlementErrors.DATE,
            _("Tanggal keluar %(d)s sebelum tanggal masuk anggota (%(j)s).")
            % {"d": format_tanggal(on), "j": format_tanggal(member.join_date)},
            fields={"on": [_("Sebelum tanggal masuk.")]},
        )
    dates = [
        SavingsTransaction.objects.filter(account__member=member).aggregate(d=Max("on"))["d"],
        Loan.objects.filter(member=member).aggregate(d=Max("disbursed_on"))["d"],
        Repayment.objects.filter(loan__member=member).aggregate(d=Max("paid_on"))["d"],
    ]
    last = max((d for d in dates if d is not None), default=None)
    if last is not None and on < last:
        raise ApplicationError(
            SettlementErrors.DATE,
            _(
                "Tanggal keluar %(d)s sebelum transaksi simpanan/pinjaman terakhir anggota ini "
                "(%(t)s): pilih tanggal itu atau sesudahnya."
            )
            % {"d": format_tanggal(on), "t": format_tanggal(last)},
            fields={"on": [_("Sebelum transaksi terakhir.")]},
        )
    # each running loan's own floor (``core.loans``: a loan brought in at a move-in is
    # settled after its cut-over, a rescheduled one not before its reschedule)
    for refusal in member_loans_settle_refusals(member, on):
        raise ApplicationError(SettlementErrors.DATE, refusal.message, fields=refusal.fields)


def _payroll_posting_check(member: Member) -> None:
    """Not while "post every agency" of a month is running with this member's agency
    file still to post: the batch is about to credit the member's savings (the money
    their agency deducted), which the settlement would leave out, and a member who
    left makes the agency's whole batch fail."""
    for run in DeductionRun.objects.filter(
        posting_status=DeductionRun.PostingStatus.RUNNING,
        posting_started_at__gt=timezone.now() - POSTING_STALE,
        lines__member=member,
        lines__posted_import__isnull=True,
    ).distinct():
        if DeductionImport.objects.filter(
            run=run,
            agency__in=run.lines.filter(member=member).values("agency"),
            status=DeductionImport.Status.VALID,
        ).exists():
            raise ApplicationError(
                SettlementErrors.PAYROLL_POSTING,
                _(
                    "Potong gaji bulan %(m)s sedang diposting dan memuat anggota ini: tunggu "
                    "sampai selesai, lalu hitung ulang penyelesaiannya."
                )
                % {"m": run.month_shown},
                status=409,
            )


def _net_payable_checked(
    preview: SettlementPreview, *, waive_loans: bool, expected_net: Decimal | None
) -> Decimal:
    """What is paid out: the same as the screen showed, and never negative (a member
    whose loans exceed savings and SHU pays the difference first)."""
    net = preview.net(waive_loans=waive_loans)
    if expected_net is not None and Decimal(expected_net) != net:
        raise ApplicationError(
            SettlementErrors.CHANGED,
            _("Saldo berubah sejak ditampilkan (sekarang %(n)s). Periksa lagi lalu konfirmasi.")
            % {"n": format_rupiah(net)},
        )
    if net < 0:
        raise ApplicationError(
            SettlementErrors.NEGATIVE,
            _(
                "Pinjaman (%(l)s) melebihi simpanan dan SHU (%(s)s): anggota harus melunasi "
                "kekurangan %(k)s dulu."
            )
            % {
                "l": format_rupiah(preview.loans_outstanding),
                "s": format_rupiah(preview.savings_total + preview.shu_unpaid),
                "k": format_rupiah(-net),
            },
        )
    return net


def _savings_withdrawn_all(
    accounts: dict, *, on: date, by
) -> tuple[list, list[SavingsTransaction]]:
    """Every savings balance withdrawn (a settlement withdrawal: even pokok and wajib)."""
    lines: list = []
    txns: list[SavingsTransaction] = []
    for acc in accounts.values():
        if acc.balance > 0:
            applied = savings_withdraw_apply(
                account=acc,
                amount=acc.balance,
                on=on,
                by=by,
                channel=SavingsTransaction.Channel.INTERNAL,
                kind=SavingsTransaction.Kind.SETTLEMENT,
                memo=_("Penyelesaian keluar anggota"),
                locked=True,
                settlement=True,
            )
            txns.append(applied.transaction)
            lines.extend(applied.lines)
    return lines, txns


def _shu_and_loans_settled(
    preview: SettlementPreview, *, on: date, by, waive_loans: bool, waiver_reason: str
) -> tuple[list, list, list[WaivedLoan]]:
    """The unpaid SHU released to the member (its lines), and the loans paid off (or
    waived: the loans waived are returned too, to be recorded as write-offs once the
    entry is posted)."""
    shu_lines: list = []
    lines: list = []
    waived: list[WaivedLoan] = []
    if preview.shu_unpaid > 0:
        shu_lines.append(
            LineSpec(
                account=account_for_role("shu_members_payable"),
                debit=preview.shu_unpaid,
                member_id=preview.member.pk,
                memo=_("SHU belum dibayar"),
            )
        )
    if preview.loans_outstanding > 0 and waive_loans:
        loan_lines, waived = member_loans_waive_apply(member=preview.member, on=on, by=by)
        lines.extend(loan_lines)
    elif preview.loans_outstanding > 0:
        lines.extend(
            member_loans_settle_apply(
                member=preview.member, on=on, by=by, waive=False, reason=waiver_reason
            )
        )
    return shu_lines, lines, waived


def _loans_set_off(*, payouts: list, loans: list) -> tuple[list, list]:
    """The loans paid off by the member's savings and SHU, not in cash: the loans'
    credits (``loans``; the pairs inside them already marked) and that much of the
    savings and SHU debits (``payouts``, taken in their order: the accounts by product,
    pokok first, the SHU last; a debit split where the set-off ends in it) are a marked
    non-cash pair (``non_cash``), so the cash flow shows only the net paid out. Waived
    loans (their write-off lines marked already) set nothing off. Returns (payouts,
    loans) as posted."""
    left = sum((x.credit - x.debit for x in loans if not x.non_cash), ZERO)
    if left <= 0:
        return payouts, loans
    out: list = []
    for x in payouts:
        take = min(x.debit - x.credit, left)
        if take <= 0:
            out.append(x)
        elif take == x.debit - x.credit:
            out.append(replace(x, non_cash=True))
        else:
            out += [replace(x, debit=x.debit - take), replace(x, debit=take, non_cash=True)]
        left -= max(take, ZERO)
    # nothing is left: ``_net_payable_checked`` refused loans beyond the savings and SHU
    # (and the database refuses marked lines that do not balance)
    return out, [replace(x, non_cash=True) for x in loans]


def _settlement_journal_post(
    member: Member,
    *,
    reason: str,
    lines: list,
    txns: list[SavingsTransaction],
    on: date,
    by,
    left_open: bool = False,
):
    """The settlement's one journal entry (none when nothing moved)."""
    if not lines:
        return None
    names = {"m": member, "r": dict(Member.Status.choices)[reason]}
    if left_open:
        description = _(
            "Penyelesaian rekening yang masih terbuka anggota %(m)s (sudah keluar: %(r)s, %(d)s)"
        ) % (names | {"d": format_tanggal(member.exit_date)})
    else:
        description = _("Penyelesaian keluar anggota %(m)s (%(r)s)") % names
    entry = journal_post(
        on=on,
        description=description,
        lines=lines,
        source="member",
        # settled again after a reversal: its own reference (:r1, :r2, ...)
        source_ref=f"exit:{member.pk}"
        + (f":r{again}" if (again := member.exit_settlements.count()) else ""),
        by=by,
    )
    transactions_link_entry(transactions=txns, entry=entry)
    return entry


def _savings_accounts_close(accounts: dict, *, on: date) -> None:
    for acc in accounts.values():
        acc.refresh_from_db(fields=["balance"])
        acc.status = SavingsAccount.Status.CLOSED
        acc.closed_on = on
        acc.save(update_fields=["status", "closed_on", "updated_at"])


def _payee_named(member: Member, *, reason: str, payee: str) -> tuple[str, str]:
    """Who is paid: the member, or the heirs of a deceased member (their names)."""
    payee = payee or ("heirs" if reason == "deceased" else "member")
    payee_name = member.full_name
    if payee == "heirs":
        payee_name = ", ".join(h.full_name for h in member.heirs.filter(is_active=True))[:200]
    return payee, payee_name


def _heir_amounts(member: Member, payee: str, net: Decimal) -> list[dict]:
    """Paid to the heirs: each active heir's part of ``net`` by their shares
    (``heir_parts``), adding up to ``net`` exactly."""
    if payee != ExitSettlement.Payee.HEIRS:
        return []
    return heir_parts(member=member, amount=net)


def _settlement_details(preview: SettlementPreview, interest_entries: list, entry) -> dict:
    """The accounts and loans as they stood, kept on the settlement (and its letter), and
    the jasa it credited with the entry that posted each (per product and month; the
    exit's own month, ``until`` the exit date: the settlement's own ``entry``)."""
    entry_of = {":".join(e.source_ref.split(":")[1:3]): e.pk for e in interest_entries}
    return {
        "interest": [
            {
                "account": x["account"],
                "product": x["product"],
                "product_id": x["product_id"],
                "year": x["year"],
                "month": x["month"],
                "until": x["until"].isoformat() if x["until"] else None,
                "label": x["label"],
                "interest": str(x["interest"]),
                "tax": str(x["tax"]),
                "net": str(x["net"]),
                "entry": (
                    (entry.pk if entry else None)
                    if x["until"]
                    else entry_of.get(f"{x['product_id']}:{x['year']}-{x['month']:02d}")
                ),
            }
            for x in preview.interest
        ],
        "accounts": [
            {"number": a.number, "product": a.product.name, "balance": str(a.balance)}
            for a in preview.accounts
        ],
        "loans": [{"label": x["label"], "amount": str(x["amount"])} for x in preview.loans],
    }


# --- reversal ---------------------------------------------------------------------------


def exit_reversal_reason_clean(reason: str) -> str:
    """The reason for reversing an exit settlement, stripped: required, and at most what
    the screen and the API accept (``REASON_MAX_LENGTH``), all of which is kept whole
    (the reversal's journal description, the settlement, the member's history, the
    audit). The screen checks it before its confirmation page too."""
    return reason_required(
        reason,
        code=SavingsErrors.REVERSAL,
        message=_("Alasan pembatalan wajib diisi."),
        max_length=REASON_MAX_LENGTH,
    )


@transaction.atomic
def exit_settlement_reverse(
    *, settlement: ExitSettlement, by, reason: str, on: date | None = None
) -> ExitSettlement:
    """Reverse a mistaken exit settlement (bendahara, admin): the member active again (not
    for a ``left_open`` settlement: the member stays as they had left), the
    savings accounts it closed reopened with their balances restored (each settlement
    movement taken back), the loans it paid off reopened with their schedules restored
    (``loan_repayment_reverse_apply``), the unpaid SHU owed again, and its journal entry
    reversed as the member module; the settlement stays, marked reversed (a new one may
    be made later). Refused: reversed already; loans waived on death (a write-off is
    not undone here); the month closed; anything posted on the member's savings since.
    Audited."""
    _require_treasury(by, _("membatalkan penyelesaian keluar anggota"))
    reason = exit_reversal_reason_clean(reason)
    member = Member.objects.select_for_update().get(pk=settlement.member_id)
    settlement = ExitSettlement.objects.select_for_update().get(pk=settlement.pk)
    label = _("Penyelesaian keluar %(m)s") % {"m": member}
    if settlement.reversed_at is not None:
        raise ApplicationError(
            SavingsErrors.REVERSAL_DONE, _("%(l)s sudah dibatalkan.") % {"l": label}, status=409
        )
    if settlement.loans_waived > 0:
        raise ApplicationError(
            SavingsErrors.REVERSAL,
            _(
                "%(l)s menghapus pinjaman atas keputusan pengurus; pembatalan otomatis tidak "
                "tersedia untuk penghapusan pinjaman."
            )
            % {"l": label},
            status=409,
        )
    if not settlement.left_open:
        # the member becomes active again (a left-open settlement leaves them as they are)
        _rejoined_check(member, label)
    on = on or timezone.localdate()
    entry = settlement.journal_entry
    if entry is not None:
        check_period_open(entry.date, label)
    accounts = SavingsAccount.objects.filter(
        member=member, status=SavingsAccount.Status.CLOSED, closed_on=settlement.on
    )
    if "accounts" in (settlement.details or {}):
        # the accounts the settlement closed, not one closed otherwise that day (an early
        # withdrawal, a cancellation that emptied and closed it)
        accounts = accounts.filter(number__in=[a["number"] for a in settlement.details["accounts"]])
    locked = savings_accounts_lock(accounts.values_list("pk", flat=True))
    later = SavingsTransaction.objects.filter(account__member=member, on__gt=settlement.on)
    if entry is not None:
        later = later.exclude(journal_entry=entry)
    if later.exists():
        raise ApplicationError(
            SavingsErrors.REVERSAL_LATER,
            _("%(l)s tidak dapat dibatalkan: ada transaksi simpanan sesudahnya.") % {"l": label},
            status=409,
        )
    for acc in locked.values():
        acc.status = SavingsAccount.Status.OPEN
        acc.closed_on = None
        acc.save(update_fields=["status", "closed_on", "updated_at"])
    back = []
    if entry is not None:
        # per account the payout first (taking it back refills the account), then the
        # exit month's PPh and jasa the entry credited
        for t in SavingsTransaction.objects.filter(journal_entry=entry).order_by(
            "account_id", "delta", "pk"
        ):
            back.append(
                savings_movement_reverse_apply(
                    txn=t,
                    on=on,
                    by=by,
                    memo=_("Pembatalan %(l)s: %(r)s") % {"l": label, "r": reason},
                    account=locked.get(t.account_id),
                )
            )
    for rep in Repayment.objects.filter(
        loan__member=member,
        channel=Repayment.Channel.SETTLEMENT,
        paid_on=settlement.on,
        reversal__isnull=True,
    ).order_by("-pk"):
        loan_repayment_reverse_apply(repayment=rep, on=on, by=by, reason=reason)
    # it posts on ``on`` (the reversals) and, when the exit month's jasa is kept, on the
    # exit day, a month earlier: both months' locks first, oldest first, so a close of
    # the later month at the same moment cannot deadlock with it (docs/ledger.md)
    posting_months_lock(dates=[on, settlement.on])
    rev = None
    if entry is not None:
        rev = journal_reverse(
            entry=entry, on=on, reason=f"{label}: {reason}", by=by, module="member"
        )
        transactions_link_entry(transactions=back, entry=rev)
    interest = _interest_credit_reverse(
        settlement,
        accounts=locked,
        on=on,
        by=by,
        memo=_("Pembatalan %(l)s: %(r)s") % {"l": label, "r": reason},
        reason=f"{label}: {reason}",
    )
    shu_shares_unsettle_at_exit(settled=(settlement.details or {}).get("shu_shares") or {})
    if not settlement.left_open:
        _member_active_again(member, by=by, reason=reason)
    settlement.reversal_entry = rev
    settlement.reversed_at = timezone.now()
    settlement.reversed_by = by
    settlement.reversal_reason = reason
    settlement.save(
        update_fields=["reversal_entry", "reversed_at", "reversed_by", "reversal_reason"]
    )
    audit_log(
        actor=by,
        action=ExitAudit.EXIT_SETTLEMENT_REVERSE,
        target=member,
        reason=reason,
        data={
            "settlement": settlement.pk,
            "net_payable": str(settlement.net_payable),
            "entry": str(rev) if rev else None,
            # the jasa credited for a month whose run has passed stays on the account
            "interest_reversed": [x["label"] for x in interest if not x["kept"]],
            "interest_kept": [x["label"] for x in interest if x["kept"]],
            # the settlement of what a member who had left held open: they stay left
            "left_open": settlement.left_open,
        },
    )
    return settlement


def _member_active_again(member: Member, *, by, reason: str) -> None:
    """The exit reversed: the member active again, the status change in their history."""
    old = member.status
    member.status = Member.Status.ACTIVE
    member.exit_date = None
    member.exit_reason = ""
    member.save(update_fields=["status", "exit_date", "exit_reason", "updated_at"])
    MemberChange.objects.create(
        member=member,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        field="status",
        old_value=old,
        new_value=Member.Status.ACTIVE,
        reason=reason,
    )


def _rejoined_check(member: Member, label: str) -> None:
    """The person has joined again (a new membership holds the NIP or NIK, or died
    under it): the old record cannot be active again beside it."""
    holder = (
        Member.objects.filter(Q(nip=member.nip) | Q(nik=member.nik))
        .exclude(pk=member.pk)
        .filter(Q(exit_date__isnull=True) | Q(status=Member.Status.DECEASED))
        .first()
    )
    if holder is not None:
        raise ApplicationError(
            SettlementErrors.REJOINED,
            _(
                "%(l)s tidak dapat dibatalkan: orang ini sudah terdaftar lagi sebagai anggota "
                "No. %(no)s (%(s)s)."
            )
            % {"l": label, "no": holder.number, "s": holder.get_status_display()},
            status=409,
        )


def _interest_credit_reverse(
    settlement: ExitSettlement, *, accounts: dict, on: date, by, memo: str, reason: str
) -> list[dict]:
    """The jasa simpanan the settlement credited, taken back with it (the reopened
    account is reached by the month's run again) — except a month whose run has been
    made since, or which is closed: the run can no longer pay it, so the credit stays on
    the reopened account (the run skips an account holding its month's jasa). The exit's
    own month was posted in the settlement's entry and went back with its reversal; when
    that month's run has been made since (it skipped the closed account) it is credited
    again as it was (``_exit_month_keep``: what the run pays on those balances, the money
    having been out from the exit to the reversal). Returns the settlement's interest
    lines marked ``kept`` or not (for the audit log: the settlement itself is immutable
    but for its reversal fields)."""
    items = [dict(x) for x in (settlement.details or {}).get("interest") or []]
    closed = books_closed_until()
    done: set[int] = set()
    for x in items:
        run_made = InterestRun.objects.filter(
            product_id=x["product_id"], year=x["year"], month=x["month"], reversed_at__isnull=True
        ).exists()
        if x.get("until"):
            x["kept"] = run_made
            continue
        entry = JournalEntry.objects.filter(pk=x.get("entry")).first()
        x["kept"] = run_made or entry is None or (closed is not None and entry.date <= closed)
        if x["kept"] or entry.pk in done:
            continue
        done.add(entry.pk)
        txns = list(SavingsTransaction.objects.filter(journal_entry=entry))
        back = [
            savings_movement_reverse_apply(
                txn=t, on=on, by=by, memo=memo, account=accounts.get(t.account_id)
            )
            # per account the tax first (taking it back raises the balance)
            for t in sorted(txns, key=lambda t: (t.account_id, t.delta))
        ]
        rev = journal_reverse(entry=entry, on=on, reason=reason, by=by, module="savings")
        transactions_link_entry(transactions=back, entry=rev)
    _exit_month_keep(
        settlement, [x for x in items if x.get("until") and x["kept"]], accounts=accounts, by=by
    )
    return items


def _exit_month_keep(settlement: ExitSettlement, items: list[dict], *, accounts: dict, by):
    """Credit the exit month's jasa again on the reopened accounts, as the settlement
    credited it (same amounts, dated the exit date, so the run made again after its own
    reversal skips them), in one entry of its own: Dr interest expense / Cr sukarela /
    Cr tax payable."""
    if not items:
        return None
    by_number = {a.number: a for a in accounts.values()}
    credits = [
        InterestCredit(
            account_id=by_number[x["account"]].pk,
            member_id=settlement.member_id,
            product_id=x["product_id"],
            year=x["year"],
            month=x["month"],
            interest=Decimal(x["interest"]),
            tax=Decimal(x["tax"]),
            until=date.fromisoformat(x["until"]),
        )
        for x in items
    ]
    lines, txns = interest_exit_month_apply(credits=credits, accounts=accounts, by=by)
    if not lines:
        return None
    entry = journal_post(
        on=settlement.on,
        description=_(
            "Jasa simpanan bulan keluar %(b)s tetap dikreditkan (penyelesaian keluar %(m)s "
            "dibatalkan sesudah jasa bulan itu dihitung)"
        )
        % {"b": _month_named(settlement.on.year, settlement.on.month), "m": settlement.member},
        lines=lines,
        source="savings",
        source_ref=f"interest:exit:{settlement.member_id}:kept:{settlement.pk}",
        by=by,
    )
    transactions_link_entry(transactions=txns, entry=entry)
    return entry
