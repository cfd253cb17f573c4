"""Exit settlement (penyelesaian keluar anggota): resign, retire, move or death.

settlement = all savings + unpaid SHU − loans outstanding (principal + jasa due);
on death the board may waive the loans (with a reason and decision reference).
Confirming posts one journal entry, closes every savings account and sets the member's
status. Nothing is deleted.

Loans: ``core.loans.selectors.member_loans_outstanding`` gives what settling each running
loan costs; ``core.loans.services.member_loans_settle_apply`` closes them and returns the
ledger lines crediting the receivables. SHU not yet paid is the member's balance on the
``shu_members_payable`` account. These are called directly: an error in any of them stops
the settlement with that error — a money path never reads a failure as zero.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import REASON_MAX_LENGTH, ApplicationError, CommonErrors, reason_required
from core.common.money import format_rupiah, split_by_weights
from core.common.permissions import TREASURY, R
from core.deductions.models import DeductionImport, DeductionRun
from core.deductions.services import POSTING_STALE
from core.exits.audit import ExitAudit
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post, journal_reverse
from core.loans.models import Loan, Repayment
from core.loans.selectors import member_loans_outstanding
from core.loans.services import loan_repayment_reverse_apply, member_loans_settle_apply
from core.members.models import Member, MemberChange
from core.members.services import member_status_set
from core.savings.models import ExitSettlement, InterestRun, SavingsAccount, SavingsTransaction
from core.savings.services import (
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
    # what the treasurer should know before confirming (money the member would miss)
    warnings: list[str] = field(default_factory=list)

    def net(self, *, waive_loans: bool = False) -> Decimal:
        loans = ZERO if waive_loans else self.loans_outstanding
        return self.savings_total + self.shu_unpaid - loans

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
    return SettlementPreview(
        member=member,
        on=on,
        accounts=accounts,
        savings_total=sum((a.balance for a in accounts), ZERO),
        shu_unpaid=_shu_unpaid(member),
        loans_outstanding=loans_total,
        loans=loans,
        warnings=_interest_not_run(accounts, on),
    )


def _interest_not_run(accounts: list[SavingsAccount], on: date) -> list[str]:
    """The interest-bearing products whose jasa simpanan for the month before ``on`` has
    not been run although the member's account was open then: the exit closes the
    accounts and the monthly run only reaches open ones, so the member would lose it."""
    last = on.replace(day=1) - timedelta(days=1)
    products = {
        a.product_id: a.product
        for a in accounts
        if a.product.interest_enabled and a.product.interest_rate_annual > 0 and a.opened_on <= last
    }
    if not products:
        return []
    done = set(
        InterestRun.objects.filter(
            product_id__in=list(products),
            year=last.year,
            month=last.month,
            reversed_at__isnull=True,
        ).values_list("product_id", flat=True)
    )
    return [
        _(
            "Jasa %(p)s bulan %(m)02d/%(y)s belum dihitung: akun anggota ditutup saat keluar "
            "dan tidak akan menerimanya. Hitung jasa bulan itu dulu (Simpanan → "
            "Rekonsiliasi & jasa)."
        )
        % {"p": products[pk].name, "m": last.month, "y": last.year}
        for pk in sorted(set(products) - done)
    ]


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
    if getattr(by, "role", None) not in SETTLE_ROLES:
        raise ApplicationError(
            CommonErrors.PERMISSION_DENIED,
            _("Hanya bendahara, ketua atau admin yang dapat menyelesaikan keluar anggota."),
            status=403,
        )
    member = Member.objects.select_for_update().get(pk=member.pk)
    waiver_reason = (waiver_reason or "").strip()
    _exit_request_check(
        member=member,
        reason=reason,
        payee=payee,
        waive_loans=waive_loans,
        waiver_reason=waiver_reason,
        board_decision_ref=board_decision_ref,
    )
    counter = _counter_account(channel)
    accounts = savings_accounts_lock(
        SavingsAccount.objects.filter(member=member, status="open").values_list("pk", flat=True)
    )
    _exit_date_check(member, on)
    _payroll_posting_check(member)
    preview = exit_settlement_preview(member=member, on=on)
    net = _net_payable_checked(preview, waive_loans=waive_loans, expected_net=expected_net)
    lines, txns = _savings_withdrawn_all(accounts, on=on, by=by)
    lines += _shu_and_loans_settled(
        preview, on=on, by=by, waive_loans=waive_loans, waiver_reason=waiver_reason
    )
    if net > 0:
        lines.append(
            LineSpec(account=counter, credit=net, memo=_("Pembayaran penyelesaian keluar"))
        )
    entry = _settlement_journal_post(member, reason=reason, lines=lines, txns=txns, on=on, by=by)
    _savings_accounts_close(accounts, on=on)
    payee, payee_name = _payee_named(member, reason=reason, payee=payee)
    settlement = ExitSettlement.objects.create(
        member=member,
        reason=reason,
        on=on,
        savings_total=preview.savings_total,
        shu_unpaid=preview.shu_unpaid,
        loans_outstanding=preview.loans_outstanding,
        loans_waived=preview.loans_outstanding if waive_loans else ZERO,
        net_payable=net,
        payee=payee,
        payee_name=payee_name,
        channel=channel,
        waiver_reason=waiver_reason,
        board_decision_ref=(board_decision_ref or "").strip(),
        details=_settlement_details(preview)
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
    member_status_set(
        member=member,
        status=reason,
        on=on,
        reason=waiver_reason or dict(Member.Status.choices)[reason],
        by=by,
    )
    audit_log(
        actor=by,
        action=ExitAudit.EXIT_SETTLEMENT,
        target=member,
        reason=waiver_reason,
        data={
            "reason": reason,
            "net_payable": str(net),
            "savings": str(preview.savings_total),
            "shu": str(preview.shu_unpaid),
            "loans": str(preview.loans_outstanding),
            "waived": waive_loans,
        },
    )
    return settlement


def _exit_request_check(
    *,
    member: Member,
    reason: str,
    payee: str,
    waive_loans: bool,
    waiver_reason: str,
    board_decision_ref: str,
) -> None:
    """Only an active member leaves, for a known reason; the heirs are paid only for a
    deceased member who has heirs registered (the settlement names them); loans are
    waived only for a deceased member, with a reason and the board's decision number."""
    if not member.is_active:
        raise ApplicationError(
            SettlementErrors.NOT_ACTIVE,
            _("Anggota %(m)s sudah tidak aktif (%(s)s).")
            % {"m": member, "s": member.get_status_display()},
        )
    if reason not in EXIT_REASONS:
        raise ApplicationError(
            SettlementErrors.REASON,
            _("Alasan keluar harus salah satu: keluar, pensiun, pindah, meninggal."),
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
    later count as a movement after the settlement, so it could not be reversed)."""
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
                % {"m": run.label},
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
) -> list:
    """The unpaid SHU released to the member, and the loans paid off (or waived)."""
    lines: list = []
    if preview.shu_unpaid > 0:
        lines.append(
            LineSpec(
                account=account_for_role("shu_members_payable"),
                debit=preview.shu_unpaid,
                member_id=preview.member.pk,
                memo=_("SHU belum dibayar"),
            )
        )
    if preview.loans_outstanding > 0:
        lines.extend(
            member_loans_settle_apply(
                member=preview.member, on=on, by=by, waive=waive_loans, reason=waiver_reason
            )
        )
    return lines


def _settlement_journal_post(
    member: Member, *, reason: str, lines: list, txns: list[SavingsTransaction], on: date, by
):
    """The settlement's one journal entry (none when nothing moved)."""
    if not lines:
        return None
    entry = journal_post(
        on=on,
        description=_("Penyelesaian keluar anggota %(m)s (%(r)s)")
        % {"m": member, "r": dict(Member.Status.choices)[reason]},
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
    """Paid to the heirs: each active heir's part of ``net`` by their shares (weights,
    so shares adding up to less than 100 % still share the whole payout), in whole
    rupiah (sen when the payout has sen); the units left by rounding go to the largest
    remainders, then to the heir recorded first. The parts add up to ``net`` exactly."""
    if payee != ExitSettlement.Payee.HEIRS or net <= 0:
        return []
    heirs = list(member.heirs.filter(is_active=True).order_by("pk"))
    whole = net == net.to_integral_value()
    unit = Decimal(1) if whole else Decimal("0.01")
    parts = split_by_weights(
        int(net / unit),
        [(h.pk, int(h.share_percent * 100)) for h in heirs],
        order=list(range(len(heirs))),
    )
    return [
        {
            "name": h.full_name,
            "relationship": h.relationship,
            "share_percent": str(h.share_percent.normalize()),
            "amount": str(parts[h.pk] * unit),
        }
        for h in heirs
    ]


def _settlement_details(preview: SettlementPreview) -> dict:
    """The accounts and loans as they stood, kept on the settlement (and its letter)."""
    return {
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
    """Reverse a mistaken exit settlement (bendahara, admin): the member active again, the
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
    on = on or timezone.localdate()
    entry = settlement.journal_entry
    if entry is not None:
        check_period_open(entry.date, label)
    accounts = SavingsAccount.objects.filter(
        member=member, status=SavingsAccount.Status.CLOSED, closed_on=settlement.on
    )
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
        for t in SavingsTransaction.objects.filter(journal_entry=entry).order_by("pk"):
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
    rev = None
    if entry is not None:
        rev = journal_reverse(
            entry=entry, on=on, reason=f"{label}: {reason}", by=by, module="member"
        )
        transactions_link_entry(transactions=back, entry=rev)
    shu_shares_unsettle_at_exit(settled=(settlement.details or {}).get("shu_shares") or {})
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
        },
    )
    return settlement
