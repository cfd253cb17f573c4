"""Stateful property: one cooperative driven through random sequences of REAL service
calls across savings, loans, payroll deductions, interest and exits; after every step the
books must hold ("a treasurer, an auditor and a member must each find every rupiah where
they expect it").

Rules: counter sukarela deposit and withdrawal, wajib deposit, savings movement reversal,
loan apply → verify → approve → disburse, counter repayment, early payoff, repayment
reversal, disbursement reversal, a payroll month (generate, import realized amounts, some
short or over, post), payroll batch reversal, the monthly savings interest run and its
reversal, member exit and its reversal, closing the oldest ended month (the months before
the simulation start closed), and a rule that moves the date forward (never back, never
past today: the services refuse future dates). Newer money operations: hari raya
(berjangka) deposits, their early withdrawal (with the product's 2 % penalty) and its
cancellation; freezing and unfreezing any savings account (a frozen account's
withdrawals, early withdrawal and exit settlement must be refused, its deposits and
payroll credits must not be refused for the freeze); a loan top-up (apply → disburse,
settling the running loan, a restructuring when it is in arrears); a repayment that pays
the next instalment's jasa ahead followed by an early payoff (the jasa paid ahead counted
toward the principal).

A refusal (``ApplicationError``) is fine, but it must change nothing: the money tables
(journal entries and lines, savings movements and balances, loans, repayments, members,
deduction lines) are compared before and after.

Invariants after every step: the trial balance balances (every line, and the report);
every sub-ledger check (``subledgers_reconcile``) agrees with zero difference; each
savings account's balance = the sum of its movements = the member's statement closing
= the portal's balance; every reversing journal entry mirrors its original line by line
and every savings reversal takes back exactly its movement's delta; each running or
paid loan's outstanding principal = the unpaid principal of its current schedule; no savings balance is negative; ``balances_check()``
finds nothing; the deferred database constraints hold.

The heavy set-up (products, staff, members) is made once per test; every example runs
inside a savepoint rolled back at its end. ``LUMBUNG_STATEFUL_EXAMPLES`` /
``LUMBUNG_STATEFUL_STEPS`` raise the budget for a local bug hunt.
"""

import os
import sys
from datetime import date, timedelta
from decimal import Decimal as D

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core.common.errors import ApplicationError
from core.deductions.models import DeductionImport, DeductionLine, DeductionRun
from core.deductions.services import (
    deduction_import_post,
    deduction_import_reverse,
    deduction_import_upload,
    deduction_run_create,
    deduction_run_generate,
    deduction_settings_update,
)
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger import reports
from core.ledger.models import JournalEntry, JournalLine, Period
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import balances_check
from core.ledger.services import fiscal_year_ensure, period_close
from core.loans.models import Instalment, Loan, LoanProduct, Repayment
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_disbursement_reverse,
    loan_dues,
    loan_payoff,
    loan_repay,
    loan_repayment_reverse,
    loan_verify,
)
from core.members.models import Member
from core.portal import data as portal
from core.savings.models import (
    ExitSettlement,
    InterestRun,
    SavingsAccount,
    SavingsProduct,
    SavingsTransaction,
)
from core.savings.selectors import savings_statement, wajib_amount_for
from core.savings.services import (
    REVERSIBLE_KINDS,
    SavingsErrors,
    savings_account_freeze,
    savings_account_get_or_open,
    savings_account_unfreeze,
    savings_early_withdraw,
    savings_early_withdrawal_preview,
    savings_interest_accrue,
    savings_interest_reverse,
    savings_product_update,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.members import factories as f

EXAMPLES = int(os.environ.get("LUMBUNG_STATEFUL_EXAMPLES", "15"))
STEPS = int(os.environ.get("LUMBUNG_STATEFUL_STEPS", "20"))
CUTOFF_DAY = 20
FAR_PAST = date(2000, 1, 1)

amounts = st.sampled_from([D("1"), D("50000"), D("250000"), D("1000000"), D("7500000")])
member_ix = st.integers(0, 2)
pick = st.integers(0, 1000)


def _docs():
    return [
        ("application_letter", SimpleUploadedFile("surat.pdf", b"%PDF-1.4 surat")),
        ("payslip", SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip")),
    ]


def _setup() -> dict:
    """Products, staff, one agency with three members, a loan product; the books open
    from the simulation's first day."""
    from core.savings.seeding import product_by_kind, savings_products_seed

    today = timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=75)).replace(day=1)
    for year in range(today.year - 1, start.year - 1, -1):
        fiscal_year_ensure(year=year)
    savings_products_seed()
    # the hari raya product takes a penalty on early withdrawal, so the penalty's line
    # and movement (and their cancellation) are driven too
    savings_product_update(
        product=product_by_kind("berjangka"),
        by=f.user("bendahara"),
        early_penalty_type="percent",
        early_penalty_value=D("2"),
    )
    # the months before the simulation are closed, as the treasurer would have: the
    # close_month rule then closes the simulated months one by one
    for period in Period.objects.filter(end_date__lt=start, status=Period.Status.OPEN):
        period_close(period=period, by=f.user("bendahara"))
    staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas")}
    deduction_settings_update(
        by=staff["bendahara"], cutoff_day=CUTOFF_DAY, priority="jasa,principal,wajib,others"
    )
    agency = f.agency("DISDIK", "Dinas Pendidikan")
    members = [f.member(agency_obj=agency, take_home_pay=D("15000000")) for _ in range(3)]
    product = LoanProduct.objects.create(
        code="STF",
        name="Pinjaman Uji Stateful",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        admin_fee_kind="percent",
        admin_fee_value=D("1"),
        wajib_pinjam_kind="percent",
        wajib_pinjam_value=D("1"),
        late_penalty_rate=D("0"),
        early_payoff_kind="percent",
        early_payoff_value=D("1"),
        max_instalment_share=D("50"),
        min_membership_months=0,
    )
    return {
        "start": start,
        "today": today,
        "staff": staff,
        "agency": agency,
        "member_ids": [m.pk for m in members],
        "loan_product": product,
        "products": {k: product_by_kind(k) for k in ("pokok", "wajib", "sukarela", "berjangka")},
    }


def snapshot() -> tuple:
    """Everything a refused call must leave as it was."""
    return (
        JournalEntry.objects.count(),
        JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit")),
        SavingsTransaction.objects.count(),
        sorted(SavingsAccount.objects.values_list("pk", "status", "balance", "frozen_at")),
        sorted(Loan.objects.values_list("pk", "status", "principal_outstanding")),
        sorted(
            Instalment.objects.values_list(
                "pk", "is_current", "principal_paid", "jasa_paid", "settled"
            )
        ),
        sorted(Repayment.objects.values_list("pk", "amount")),
        sorted(Member.objects.values_list("pk", "status")),
        sorted(DeductionLine.objects.values_list("pk", "realized")),
        sorted(DeductionImport.objects.exclude(status="invalid").values_list("pk", "status")),
        sorted(InterestRun.objects.values_list("pk", "reversed_at")),
        sorted(Period.objects.values_list("pk", "status")),
        sorted(ExitSettlement.objects.values_list("pk", "reversed_at")),
    )


def csv_bytes(rows) -> bytes:
    return ("NIP,Jumlah\n" + "".join(f"{nip},{amt}\n" for nip, amt in rows)).encode()


class BooksMachine(RuleBasedStateMachine):
    ctx: dict = {}

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.day = self.ctx["start"]
        self.staff = self.ctx["staff"]
        self.refusals: list[str] = []
        self.done: list[str] = []
        self.refused_code: str | None = None

    def teardown(self):
        if os.environ.get("LUMBUNG_STATEFUL_VERBOSE"):
            sys.stderr.write(f"\nDONE {self.done}\nREFUSED {self.refusals}\n")
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------

    def member(self, ix: int) -> Member:
        return Member.objects.get(pk=self.ctx["member_ids"][ix])

    def attempt(self, label: str, fn):
        """Run one service call; a refusal must leave everything as it was."""
        before = snapshot()
        self.refused_code = None
        try:
            out = fn()
            self.done.append(label)
            return out
        except ApplicationError as e:
            after = snapshot()
            assert after == before, f"{label} refused ({e.code}) but changed the books"
            self.refusals.append(f"{label}:{e.code}")
            self.refused_code = str(e.code)
            return None

    def deposit_attempt(self, label: str, fn, *, frozen: bool):
        """A deposit: on a frozen account it must not be refused for the freeze."""
        out = self.attempt(label, fn)
        if frozen:
            assert self.refused_code != SavingsErrors.ACCOUNT_FROZEN, (label, self.refusals)
        return out

    def money_out_attempt(self, label: str, fn, *, frozen: bool):
        """Money out of an account to the member: refused, for the freeze, while frozen."""
        out = self.attempt(label, fn)
        if frozen:
            assert out is None, f"{label} paid out of a frozen account"
            assert self.refused_code == SavingsErrors.ACCOUNT_FROZEN, (label, self.refused_code)
        return out

    def open_account(self, ix: int, kind: str):
        return SavingsAccount.objects.filter(
            member_id=self.ctx["member_ids"][ix], product__kind=kind, status="open"
        ).first()

    @staticmethod
    def _nth(qs, n: int):
        items = list(qs.order_by("pk"))
        return items[n % len(items)] if items else None

    # --- rules ------------------------------------------------------------------------

    @initialize(savers=st.sets(member_ix))
    def hari_raya_savers(self, savers):
        """Some members start with a hari raya account holding Rp 300.000, so its early
        withdrawal, cancellation and freeze meet the other rules often."""
        for ix in sorted(savers):
            acc = savings_account_get_or_open(
                member=self.member(ix), product=self.ctx["products"]["berjangka"], on=self.day
            )
            teller_deposit(
                account=acc,
                amount=D("300000"),
                channel="cash",
                on=self.day,
                by=self.staff["petugas"],
            )

    @rule(days=st.sampled_from([1, 3, 9, 17, 31]))
    def advance(self, days):
        self.day = min(self.ctx["today"], self.day + timedelta(days=days))

    @rule(ix=member_ix, amount=amounts, kind=st.sampled_from(["sukarela", "berjangka"]))
    def counter_deposit(self, ix, amount, kind):
        """A counter deposit to the member's sukarela or hari raya (berjangka) account;
        when there is none open, the office opens one first (its own action: a deposit
        refused afterwards, e.g. above the hari raya total, leaves the new account)."""
        m = self.member(ix)
        acc = self.open_account(ix, kind)
        if acc is None:
            acc = self.attempt(
                f"{kind}_open",
                lambda: savings_account_get_or_open(
                    member=m, product=self.ctx["products"][kind], on=self.day
                ),
            )
            if acc is None:
                return
        if kind == "berjangka":  # within the hari raya total (10 x Rp 100.000) mostly
            amount = min(amount, D("250000"))
        self.deposit_attempt(
            f"{kind}_deposit",
            lambda: teller_deposit(
                account=acc, amount=amount, channel="cash", on=self.day, by=self.staff["petugas"]
            ),
            frozen=acc.frozen_at is not None,
        )

    @rule(ix=member_ix, amount=amounts)
    def sukarela_withdraw(self, ix, amount):
        acc = self.open_account(ix, "sukarela")
        if acc is None:
            return
        self.money_out_attempt(
            "sukarela_withdraw",
            lambda: teller_withdraw(
                account=acc, amount=amount, channel="cash", on=self.day, by=self.staff["petugas"]
            ),
            frozen=acc.frozen_at is not None,
        )

    @rule(ix=member_ix, channel=st.sampled_from(["cash", "bank"]), cancel=st.booleans())
    def early_withdraw(self, ix, channel, cancel):
        """The bendahara pays a hari raya account out before its payout date: the net the
        preview showed, the 2 % penalty to income, the account closed; ``cancel``: the
        payout is cancelled at once (``early_withdraw_cancel`` cancels one later)."""
        acc = self.open_account(ix, "berjangka")
        if acc is None:
            return

        def go():
            preview = savings_early_withdrawal_preview(account=acc, on=self.day)
            return savings_early_withdraw(
                account=acc,
                on=self.day,
                channel=channel,
                reason="biaya berobat",
                by=self.staff["bendahara"],
                expected_net=preview.net,
            )

        txn = self.money_out_attempt("early_withdraw", go, frozen=acc.frozen_at is not None)
        if txn is not None:
            acc.refresh_from_db()
            assert acc.status == SavingsAccount.Status.CLOSED and acc.balance == 0, acc.balance
            if cancel:
                self.early_withdraw_cancel(txn)

    @rule(n=pick)
    def early_withdraw_cancel_one(self, n):
        txn = self._nth(
            SavingsTransaction.objects.filter(
                kind=SavingsTransaction.Kind.EARLY_PAYOUT, reversed_by__isnull=True
            ),
            n,
        )
        if txn is not None:
            self.early_withdraw_cancel(txn)

    def early_withdraw_cancel(self, txn):
        """Cancel an early withdrawal (``teller_reverse`` of its payout): penalty back,
        the account reopened with its balance."""
        # what the withdrawal took off the account: its payout and its penalty
        taken = -SavingsTransaction.objects.filter(
            journal_entry_id=txn.journal_entry_id, account_id=txn.account_id
        ).aggregate(s=Sum("delta"))["s"]
        before = SavingsAccount.objects.get(pk=txn.account_id).balance
        out = self.attempt(
            "early_withdraw_cancel",
            lambda: teller_reverse(
                txn=txn, on=self.day, reason="batal cair", by=self.staff["bendahara"]
            ),
        )
        if out is not None:
            acc = SavingsAccount.objects.get(pk=txn.account_id)
            assert acc.status == SavingsAccount.Status.OPEN, acc.status
            assert acc.balance == before + taken, (acc.number, before, taken, acc.balance)

    @rule(ix=member_ix, kind=st.sampled_from(["sukarela", "wajib", "berjangka", "pokok"]))
    def freeze(self, ix, kind):
        acc = self.open_account(ix, kind)
        if acc is None:
            return
        self.attempt(
            "freeze",
            lambda: savings_account_freeze(
                account=acc, reason="sengketa ahli waris", by=self.staff["bendahara"]
            ),
        )

    @rule(n=pick)
    def unfreeze(self, n):
        acc = self._nth(SavingsAccount.objects.filter(frozen_at__isnull=False), n)
        if acc is None:
            return
        self.attempt(
            "unfreeze",
            lambda: savings_account_unfreeze(account=acc, reason="selesai", by=self.staff["admin"]),
        )

    @rule(ix=member_ix, months=st.integers(1, 3))
    def wajib_deposit(self, ix, months):
        m = self.member(ix)
        product = self.ctx["products"]["wajib"]
        existing = self.open_account(ix, "wajib")

        def go():
            acc = savings_account_get_or_open(member=m, product=product, on=self.day)
            amount = wajib_amount_for(member=m, product=product, on=self.day) * months
            return teller_deposit(
                account=acc, amount=amount, channel="bank", on=self.day, by=self.staff["petugas"]
            )

        self.deposit_attempt(
            "wajib_deposit", go, frozen=existing is not None and existing.frozen_at is not None
        )

    @rule(n=pick)
    def savings_reverse(self, n):
        txn = self._nth(
            SavingsTransaction.objects.filter(
                kind__in=list(REVERSIBLE_KINDS), reversed_by__isnull=True, reverses__isnull=True
            ),
            n,
        )
        if txn is None:
            return
        self.attempt(
            "savings_reverse",
            lambda: teller_reverse(
                txn=txn, on=self.day, reason="salah input", by=self.staff["bendahara"]
            ),
        )

    @rule(
        ix=member_ix,
        principal=st.sampled_from([D("1000000"), D("6000000"), D("20000000")]),
        tenor=st.sampled_from([1, 3, 12]),
    )
    def loan_open(self, ix, principal, tenor):
        self.apply_and_disburse(self.member(ix), principal, tenor)

    def apply_and_disburse(self, m, principal, tenor, topup_of=None):
        by = self.staff
        loan = self.attempt(
            "loan_apply" if topup_of is None else "topup_apply",
            lambda: loan_apply(
                member=m,
                product=self.ctx["loan_product"],
                principal=principal,
                tenor=tenor,
                by=by["petugas"],
                on=self.day,
                documents=_docs(),
                topup_of=topup_of,
            ),
        )
        # each step is its own service call (and transaction): an application refused at
        # a later step stays where it stopped, as in the office
        for label, step in (
            ("loan_verify", lambda: loan_verify(loan=loan, by=by["bendahara"], on=self.day)),
            ("loan_approve", lambda: loan_approve(loan=loan, by=by["ketua"], on=self.day)),
            (
                "loan_disburse",
                lambda: loan_disburse(loan=loan, by=by["bendahara"], on=self.day),
            ),
        ):
            if loan is None or self.attempt(label, step) is None:
                return
        if topup_of is not None:
            topup_of.refresh_from_db()
            assert topup_of.status == Loan.Status.CLOSED, topup_of.status
            assert topup_of.principal_outstanding == 0, topup_of.principal_outstanding

    @rule(
        n=pick,
        principal=st.sampled_from([D("6000000"), D("20000000")]),
        tenor=st.sampled_from([3, 12]),
    )
    def loan_topup(self, n, principal, tenor):
        """A top-up of a running loan: a new loan whose disbursement settles the old one
        (a restructuring when the old loan is in arrears)."""
        old = self._nth(Loan.objects.filter(status=Loan.Status.DISBURSED), n)
        if old is None:
            return
        self.apply_and_disburse(old.member, principal, tenor, topup_of=old)

    @rule(n=pick, ahead=st.sampled_from(["half_jasa", "jasa", "instalment"]))
    def pay_ahead_then_payoff(self, n, ahead):
        """A counter payment of what is due plus part or all of the next instalment (its
        jasa first, paid ahead), then the early payoff on the same day, which waives
        that jasa and counts it toward the principal."""
        loan = self._nth(Loan.objects.filter(status=Loan.Status.DISBURSED), n)
        if loan is None:
            return
        d = loan_dues(loan, self.day)
        extra = {
            "half_jasa": (d.next_jasa / 2).quantize(D(1)),
            "jasa": d.next_jasa,
            "instalment": d.next_jasa + d.next_principal,
        }[ahead]
        amount = d.penalty + d.jasa + d.principal + extra
        if amount <= 0:
            return
        if (
            self.attempt(
                "pay_ahead",
                lambda: loan_repay(loan=loan, amount=amount, by=self.staff["petugas"], on=self.day),
            )
            is None
        ):
            return
        rep = self.attempt(
            "payoff_after_ahead",
            lambda: loan_payoff(loan=loan, by=self.staff["bendahara"], on=self.day),
        )
        if rep is not None:
            loan.refresh_from_db()
            assert loan.status == Loan.Status.CLOSED and loan.principal_outstanding == 0

    @rule(n=pick, amount=amounts, excess_to=st.sampled_from(["", "principal", "sukarela"]))
    def loan_repay(self, n, amount, excess_to):
        loan = self._nth(Loan.objects.filter(status=Loan.Status.DISBURSED), n)
        if loan is None:
            return
        self.attempt(
            "loan_repay",
            lambda: loan_repay(
                loan=loan, amount=amount, by=self.staff["petugas"], on=self.day, excess_to=excess_to
            ),
        )

    @rule(n=pick)
    def loan_payoff(self, n):
        loan = self._nth(Loan.objects.filter(status=Loan.Status.DISBURSED), n)
        if loan is None:
            return
        self.attempt(
            "loan_payoff", lambda: loan_payoff(loan=loan, by=self.staff["bendahara"], on=self.day)
        )

    @rule(n=pick)
    def repayment_reverse(self, n):
        rep = self._nth(Repayment.objects.all(), n)
        if rep is None:
            return
        self.attempt(
            "repayment_reverse",
            lambda: loan_repayment_reverse(
                repayment=rep, by=self.staff["bendahara"], reason="salah input", on=self.day
            ),
        )

    @rule(n=pick)
    def disbursement_reverse(self, n):
        loan = self._nth(Loan.objects.filter(status=Loan.Status.DISBURSED), n)
        if loan is None:
            return
        self.attempt(
            "disbursement_reverse",
            lambda: loan_disbursement_reverse(
                loan=loan, by=self.staff["bendahara"], reason="salah cair", on=self.day
            ),
        )

    @rule(
        shares=st.lists(st.sampled_from(["full", "none", "half", "over"]), min_size=3, max_size=3)
    )
    def payroll_month(self, shares):
        """This month's run if its cut-off has come, else last month's: generate once,
        import the agency's realized amounts (some short, some over), post on the day."""
        by = self.staff["bendahara"]
        d = self.day
        month = d if d.day >= CUTOFF_DAY else d.replace(day=1) - timedelta(days=1)
        run = DeductionRun.objects.filter(year=month.year, month=month.month).first()
        if run is None:
            run = self.attempt(
                "payroll_create",
                lambda: deduction_run_create(year=month.year, month=month.month, by=by),
            )
            if run is None:
                return
            run = deduction_run_generate(run=run, by=by)
        if run.status != DeductionRun.Status.READY:
            return
        lines = list(
            DeductionLine.objects.filter(run=run, agency=self.ctx["agency"])
            .select_related("member")
            .order_by("member_id")
        )
        if not lines:
            return
        rows = []
        for ln, how in zip(lines, shares * 3, strict=False):
            total = ln.total
            amt = {
                "full": total,
                "none": D(0),
                "half": (total / 2).quantize(D(1)),
                "over": total + 25000,
            }[how]
            rows.append((ln.member.nip, int(amt)))
        imp = self.attempt(
            "payroll_upload",
            lambda: deduction_import_upload(
                run=run,
                agency=self.ctx["agency"],
                content=csv_bytes(rows),
                file_name="r.csv",
                by=by,
            ),
        )
        if imp is None or imp.status != DeductionImport.Status.VALID:
            return
        self.attempt("payroll_post", lambda: deduction_import_post(imp=imp, by=by, on=self.day))
        # payroll credits to a frozen account still land
        assert self.refused_code != SavingsErrors.ACCOUNT_FROZEN, self.refusals

    @rule(n=pick)
    def payroll_reverse(self, n):
        imp = self._nth(DeductionImport.objects.filter(status=DeductionImport.Status.POSTED), n)
        if imp is None:
            return
        self.attempt(
            "payroll_reverse",
            lambda: deduction_import_reverse(
                imp=imp, reason="file salah", by=self.staff["bendahara"]
            ),
        )

    @rule()
    def interest_run(self):
        last = self.day.replace(day=1) - timedelta(days=1)
        for product in SavingsProduct.objects.filter(
            interest_enabled=True, interest_rate_annual__gt=0
        ).order_by("pk"):
            self.attempt(
                "interest_run",
                lambda p=product: savings_interest_accrue(
                    product=p, year=last.year, month=last.month, by=self.staff["bendahara"]
                ),
            )

    @rule(n=pick)
    def interest_reverse(self, n):
        run = self._nth(
            InterestRun.objects.filter(reversed_at__isnull=True, journal_entry__isnull=False), n
        )
        if run is None:
            return
        self.attempt(
            "interest_reverse",
            lambda: savings_interest_reverse(
                run=run, by=self.staff["bendahara"], reason="tarif salah", on=self.day
            ),
        )

    @rule()
    def close_month(self):
        """The treasurer closes the oldest open month that has ended: later corrections
        of what is dated in it must be refused (and change nothing)."""
        period = (
            Period.objects.filter(status=Period.Status.OPEN, end_date__lt=self.day)
            .order_by("start_date")
            .first()
        )
        if period is None:
            return
        self.attempt(
            "period_close", lambda: period_close(period=period, by=self.staff["bendahara"])
        )

    @rule(ix=member_ix, reason=st.sampled_from(["resigned", "retired", "moved"]))
    def member_exit(self, ix, reason):
        m = self.member(ix)

        def go():
            p = exit_settlement_preview(member=m, on=self.day)
            return exit_settlement_confirm(
                member=m,
                reason=reason,
                on=self.day,
                by=self.staff["bendahara"],
                expected_net=p.net_payable,
            )

        frozen = SavingsAccount.objects.filter(
            member=m, status="open", frozen_at__isnull=False
        ).exists()
        out = self.attempt("member_exit", go)
        if frozen:
            assert out is None, "an exit settlement paid out a frozen account"

    @rule(n=pick)
    def exit_reverse(self, n):
        s = self._nth(ExitSettlement.objects.filter(reversed_at__isnull=True), n)
        if s is None:
            return
        self.attempt(
            "exit_reverse",
            lambda: exit_settlement_reverse(
                settlement=s, by=self.staff["bendahara"], reason="salah anggota", on=self.day
            ),
        )

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def deferred_constraints_hold(self):
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")

    @invariant()
    def reversals_are_exact(self):
        """A reversing entry is its original's mirror (same accounts and members, debit
        and credit swapped); a savings reversal takes back exactly its movement."""

        def lines(entry_id, swap):
            rows = JournalLine.objects.filter(entry_id=entry_id).values_list(
                "account_id", "member_id", "debit", "credit"
            )
            return sorted((a, m, c, d) if swap else (a, m, d, c) for a, m, d, c in rows)

        for entry_id, original_id in JournalEntry.objects.filter(
            reverses__isnull=False
        ).values_list("pk", "reverses_id"):
            assert lines(entry_id, False) == lines(original_id, True), (entry_id, original_id)
        for delta, original in SavingsTransaction.objects.filter(
            reverses__isnull=False
        ).values_list("delta", "reverses__delta"):
            assert delta == -original, (delta, original)

    @invariant()
    def trial_balance_balances(self):
        t = JournalLine.objects.aggregate(
            d=Sum("debit", default=D(0)), c=Sum("credit", default=D(0))
        )
        assert t["d"] == t["c"], t
        tb = reports.trial_balance(as_of=self.ctx["today"])
        assert tb["total_debit"] == tb["total_credit"], tb

    @invariant()
    def subledgers_agree(self):
        run = subledgers_reconcile()
        assert run.ok, [r for r in run.results if not r["ok"]]

    @invariant()
    def balances_table_matches_lines(self):
        assert balances_check() == []

    @invariant()
    def savings_accounts_add_up_everywhere(self):
        for m in Member.objects.filter(pk__in=self.ctx["member_ids"]):
            statement = {
                s.account.pk: s.closing
                for s in savings_statement(member=m, date_from=FAR_PAST, date_to=self.ctx["today"])
            }
            shown = {a.pk: a.balance for a in portal.savings_accounts(m)}
            for acc in SavingsAccount.objects.filter(member=m):
                moved = acc.transactions.aggregate(s=Sum("delta", default=D(0)))["s"]
                assert acc.balance == moved == statement[acc.pk] == shown[acc.pk], (
                    acc.number,
                    acc.balance,
                    moved,
                    statement[acc.pk],
                    shown[acc.pk],
                )
                assert acc.balance >= 0, (acc.number, acc.balance)
            open_total = sum(
                (a.balance for a in SavingsAccount.objects.filter(member=m, status="open")), D(0)
            )
            assert portal.savings_total(m) == open_total

    @invariant()
    def loan_outstanding_is_unpaid_schedule(self):
        for loan in Loan.objects.all():
            if loan.status in (Loan.Status.DISBURSED, Loan.Status.CLOSED):
                unpaid = sum(
                    (
                        r.principal - r.principal_paid
                        for r in Instalment.objects.filter(loan=loan, is_current=True)
                    ),
                    D(0),
                )
                assert loan.principal_outstanding == unpaid, (
                    loan.pk,
                    loan.status,
                    loan.principal_outstanding,
                    unpaid,
                )
                if loan.status == Loan.Status.CLOSED:
                    assert loan.principal_outstanding == 0, (loan.pk, loan.principal_outstanding)
            else:
                assert loan.principal_outstanding == 0, (loan.pk, loan.status)


def test_books_hold_under_random_service_sequences(in_tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ctx = _setup()
    machine = type("Books", (BooksMachine,), {"ctx": ctx})
    run_state_machine_as_test(
        machine,
        settings=settings_for_ci(),
    )


def settings_for_ci():
    return hsettings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
