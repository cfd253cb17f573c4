"""Reversing a payment whose excess went to principal (*Pelunasan sebagian pokok*): the
payment keeps the schedule rows and the loan's figures as they were before it
(``Repayment.schedule_before``), and its reversal puts them back exactly — every row's
due date, principal, jasa and paid amounts, the rows it re-amortised current again (the
re-amortised ones kept as history), the outstanding and the deferred amounts, a loan it
closed reopened — with the journal reversed and any sukarela it was paid from credited
back. The same rules as every reversal: newest first, in an open month, with a reason,
audited. A payment made before the snapshot was kept stays refused as before."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.models import JournalLine, Period
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import balances_check
from core.ledger.services import journal_reverse
from core.loans.audit import LoanAudit
from core.loans.batch import loan_repayments_prepare_bulk
from core.loans.models import Instalment, Loan, LoanReversal, Repayment
from core.loans.services import (
    loan_dues,
    loan_repay,
    loan_repayment_reverse,
    loan_repayment_reverse_apply,
    loan_repayments_attach_entry,
)
from core.loans.services.reversal import repayment_reversal_refusal
from core.savings.models import SavingsAccount, SavingsProduct
from core.savings.seeding import product_by_kind, savings_products_seed
from core.savings.services import savings_account_open, teller_deposit
from tests.ledger.helpers import post_bank_batch
from tests.loans.conftest import (
    ROW_FIELDS,
    assert_reconciled,
    month_close_as_treasurer,
    schedule_snapshot_forget,
)
from tests.members import factories as f

LOAN_FIELDS = (
    "status",
    "principal_outstanding",
    "deferred_jasa",
    "deferred_penalty",
    "jasa_receivable",
    "closed_on",
    "closed_by",
    "first_due_date",
)


def _schedule(loan, fields=ROW_FIELDS):
    return list(
        Instalment.objects.filter(loan=loan, is_current=True).order_by("number").values(*fields)
    )


def _loan(loan):
    return Loan.objects.filter(pk=loan.pk).values(*LOAN_FIELDS).get()


def _ledger():
    """Every account's balance per member: what the journal says, all entries together."""
    return {
        (r["account_id"], r["member_id"]): r["d"] - r["c"]
        for r in JournalLine.objects.values("account_id", "member_id").annotate(
            d=Sum("debit"), c=Sum("credit")
        )
        if r["d"] != r["c"]
    }


def _state(loan, on):
    loan.refresh_from_db()
    return {
        "schedule": _schedule(loan),
        "loan": _loan(loan),
        "dues": loan_dues(loan, on),
        "ledger": _ledger(),
    }


def _books_tie():
    assert balances_check() == []
    assert_reconciled()
    run = subledgers_reconcile()
    assert run.ok, run.results


def test_mistyped_payment_with_excess_to_principal_reversed_restores_everything(make_loan, staff):
    loan = make_loan(days_ago=31)  # 10,000,000 over 10 months: 1,100,000 a month
    r1 = loan.instalments.get(number=1)
    on = r1.due_date
    before = _state(loan, on)
    assert before["dues"].principal + before["dues"].jasa == D(1_100_000)
    rep = loan_repay(
        loan=loan, amount=D(10_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    # row 1 due, row 2 (the next) paid ahead, 7,800,000 beyond: rows 3-10 re-amortised
    assert rep.excess == D(7_800_000)
    after_payment = _state(loan, on)
    assert after_payment["loan"]["principal_outstanding"] == D(200_000)
    assert after_payment["schedule"] != before["schedule"]
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    rev = loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah ketik")

    assert _state(loan, on) == before
    # days past due follow the daily run's rule: row 1 is due again since its date
    loan.refresh_from_db()
    assert loan.days_past_due == (timezone.localdate() - on).days
    # the re-amortised rows stay as history, not current; their version is not reused
    old = Instalment.objects.filter(loan=loan, is_current=False)
    assert old.count() == 8 and set(old.values_list("version", flat=True)) == {2}
    assert sum(old.values_list("principal", flat=True)) == D(200_000)
    assert rev.reversal_entry.reverses_id == rep.entry_id
    assert rev.reason == "salah ketik"
    (event,) = AuditEvent.objects.filter(pk__gt=last, action=LoanAudit.REPAYMENT_REVERSE)
    assert event.data["repayment"] == rep.pk and event.reason == "salah ketik"
    assert event.data["excess_to_principal"] == "7800000.00"
    _books_tie()


def _twin(staff, product, today, days_ago):
    from tests.loans.conftest import loan_made

    who = f.member(take_home_pay=D("15000000"))
    return loan_made(staff, who, product, today, days_ago=days_ago)


def test_after_the_reversal_the_right_payment_equals_a_never_mistaken_loan(
    make_loan, staff, product, today
):
    loan = make_loan(days_ago=31)
    twin = _twin(staff, product, today, days_ago=31)
    on = loan.instalments.get(number=1).due_date
    rep = loan_repay(
        loan=loan, amount=D(10_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah ketik")
    right = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=on)
    plain = loan_repay(loan=twin, amount=D(1_100_000), by=staff["petugas"], on=on)

    fields = [x for x in ROW_FIELDS if x not in ("id", "version")]
    assert _schedule(loan, fields) == _schedule(twin, fields)
    assert _loan(loan) == _loan(twin)
    assert loan.days_past_due == twin.days_past_due
    for a, b in ((right, plain),):
        assert (a.penalty, a.jasa, a.principal, a.excess) == (b.penalty, b.jasa, b.principal, 0)

    def lines(rep):
        return sorted(
            JournalLine.objects.filter(entry=rep.entry).values_list(
                "account__code", "debit", "credit"
            )
        )

    assert lines(right) == lines(plain)
    _books_tie()


def test_a_later_payment_is_reversed_first_then_the_excess(make_loan, staff):
    loan = make_loan(days_ago=70)
    r1, r2 = loan.instalments.get(number=1), loan.instalments.get(number=2)
    first = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    before = _state(loan, r1.due_date)
    rep = loan_repay(
        loan=loan, amount=D(5_000_000), by=staff["petugas"], on=r1.due_date, excess_to="principal"
    )
    later = loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=r2.due_date)
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert e.value.code == "loan_reversal_later_depends"
    assert str(later) in str(e.value.message)
    # an earlier payment names the excess payment as one to reverse first, reversible now
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=first, by=staff["bendahara"], reason="salah")
    msg = str(e.value.message)
    assert str(rep) in msg and str(later) in msg
    assert "tidak dapat dibatalkan di sini" not in msg
    loan_repayment_reverse(repayment=later, by=staff["bendahara"], reason="salah")
    assert repayment_reversal_refusal(rep) is None
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert _state(loan, r1.due_date) == before
    _books_tie()


def test_excess_paid_on_late_rows_reversed_restores_their_penalty_state(make_loan, staff, today):
    loan = make_loan(days_ago=100)  # rows 1-3 late, penalty charged on them
    on = today
    before = _state(loan, on)
    assert before["dues"].penalty > 0
    rep = loan_repay(
        loan=loan, amount=D(6_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    assert rep.penalty == before["dues"].penalty and rep.excess > 0
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert _state(loan, on) == before
    _books_tie()


def test_excess_that_cleared_the_loan_reversed_reopens_it_as_it_was(
    make_loan, staff, product, today
):
    product.early_payoff_value = D(0)
    product.save(update_fields=["early_payoff_value"])
    loan = make_loan(days_ago=10)
    before = _state(loan, today)
    rep = loan_repay(
        loan=loan, amount=D(10_100_000), by=staff["petugas"], on=today, excess_to="principal"
    )
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and rep.excess == D(9_000_000)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert _state(loan, today) == before
    _books_tie()


def test_reason_required_and_closed_month_refused_nothing_changes(make_loan, staff, today):
    loan = make_loan(days_ago=40)
    on = loan.disbursed_on
    rep = loan_repay(
        loan=loan, amount=D(3_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    state = (_schedule(loan), _loan(loan), rep.entry.reversals.exists())
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="  ")
    assert e.value.code == "loan_reason_required"
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=rep, by=staff["petugas"], reason="salah")
    assert e.value.code == "permission_denied"
    month_close_as_treasurer(
        period=Period.objects.get(start_date=on.replace(day=1)), by=staff["bendahara"]
    )
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert e.value.code == "loan_reversal_period_closed"
    assert (_schedule(loan), _loan(loan), rep.entry.reversals.exists()) == state
    assert not LoanReversal.objects.exists()


def test_a_payment_made_before_the_snapshot_is_still_refused_as_today(make_loan, staff):
    loan = make_loan(days_ago=31)
    on = loan.instalments.get(number=1).due_date
    rep = schedule_snapshot_forget(
        loan_repay(
            loan=loan, amount=D(2_700_000), by=staff["petugas"], on=on, excess_to="principal"
        )
    )
    state = _state(loan, on)
    with pytest.raises(ApplicationError) as e:
        loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert e.value.code == "loan_reversal_reamortised"
    assert format_rupiah(D(500_000)) in str(e.value.message)
    assert _state(loan, on) == state
    assert not LoanReversal.objects.exists()


def test_the_snapshot_belongs_to_an_excess_to_principal_only(make_loan, staff):
    loan = make_loan(days_ago=31)
    on = loan.instalments.get(number=1).due_date
    plain = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=on)
    assert plain.schedule_before == {}
    rep = loan_repay(
        loan=loan, amount=D(3_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    assert set(rep.schedule_before) >= {"rows", "loan"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Repayment.objects.create(
            loan=loan,
            paid_on=on,
            channel="counter",
            amount=D(1),
            principal=D(1),
            schedule_before={"rows": [], "loan": {}},
            entry=plain.entry,
        )


# --- screen, API, sukarela ---------------------------------------------------------------


def test_screen_confirmation_says_the_schedule_and_outstanding_are_restored(
    make_loan, staff, client_a
):
    loan = make_loan(days_ago=31)
    on = loan.instalments.get(number=1).due_date
    rep = loan_repay(
        loan=loan, amount=D(10_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    client_a.force_login(staff["bendahara"])
    page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    url = f"/pinjaman/kuitansi/{rep.pk}/batalkan/"
    assert f'action="{url}"' in page
    r = client_a.post(url, {"reason": "salah ketik"})
    assert r.status_code == 200
    box = r.content.decode().split('id="confirm"')[1]
    assert "Rp 7.800.000" in box  # the excess to principal
    # the outstanding after: as before the payment (not 2,200,000: its principal only)
    after = box.split("Sisa pokok sesudahnya")[1].split("</tr>")[0]
    assert "Rp 10.000.000" in after
    # what will be restored: the schedule as it was (8 rows re-amortised go back)
    assert "jadwal angsuran dikembalikan seperti sebelum pembayaran" in box.lower()
    assert "8 angsuran" in box
    assert not LoanReversal.objects.exists()
    r = client_a.post(url, {"reason": "salah ketik", "confirmed": "1"})
    assert r.status_code == 302
    loan.refresh_from_db()
    assert loan.principal_outstanding == D(10_000_000)
    _books_tie()


def test_api_reverses_a_payment_with_excess_to_principal(make_loan, staff, client_a):
    loan = make_loan(days_ago=31)
    on = loan.instalments.get(number=1).due_date
    before = _state(loan, on)
    rep = loan_repay(
        loan=loan, amount=D(10_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    client_a.force_login(staff["bendahara"])
    url = f"/api/v1/loans/repayments/{rep.pk}/reverse/"
    r = client_a.post(url, {}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["fields"].get("reason")
    r = client_a.post(url, {"reason": "salah ketik"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["reversed_on"] and r.json()["reversal_entry"]
    assert _state(loan, on) == before
    r = client_a.get(f"/api/v1/loans/{loan.pk}/")
    assert D(r.json()["principal_outstanding"]) == D(10_000_000)
    _books_tie()


def test_excess_paid_from_sukarela_reverses_to_sukarela(make_loan, staff, member, today):
    savings_products_seed()
    SavingsProduct.objects.filter(kind="sukarela").update(minimum_balance=D(50_000))
    acc = savings_account_open(member=member, product=product_by_kind("sukarela"), on=today)
    teller_deposit(account=acc, amount=D(5_000_000), channel="cash", on=today, by=staff["petugas"])
    loan = make_loan(days_ago=10)
    before = _state(loan, today)
    rep = loan_repay(
        loan=loan,
        amount=D(3_000_000),
        by=staff["petugas"],
        on=today,
        source="sukarela",
        excess_to="principal",
    )
    assert rep.channel == "sukarela" and rep.excess == D(1_900_000)
    assert SavingsAccount.objects.get(pk=acc.pk).balance == D(2_000_000)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah")
    assert SavingsAccount.objects.get(pk=acc.pk).balance == D(5_000_000)
    assert _state(loan, today) == before
    assert timezone.localdate() == today
    _books_tie()


def test_loans_batch_excess_to_principal_keeps_the_schedule_for_its_reversal(
    make_loan, staff, today
):
    """The loans batch (``loan_repayments_prepare_bulk``) keeps the same snapshot, and the
    schedule half a batch's reversal calls (``loan_repayment_reverse_apply``) restores it."""
    loan = make_loan(days_ago=10)
    by = staff["bendahara"]
    before = _state(loan, today)
    with transaction.atomic():
        (draft,) = loan_repayments_prepare_bulk(
            items=[(loan.pk, D(5_000_000))], on=today, channel="bank", by=by, excess_to="principal"
        )
        entry = post_bank_batch(lines=draft.lines, on=today, by=by, ref="uji-bank-kelebihan")
        loan_repayments_attach_entry(drafts=[draft], entry=entry)
    rep = Repayment.objects.get(pk=draft.repayment.pk)
    assert rep.excess == D(3_900_000) and len(rep.schedule_before["future"]) == 9
    with transaction.atomic():
        journal = journal_reverse(entry=entry, on=today, reason="salah", by=by, module="deduction")
        loan_repayment_reverse_apply(
            repayment=rep, on=today, by=by, reason="salah", reversal_entry=journal
        )
    assert _state(loan, today) == before
    _books_tie()
