# ruff: noqa: F811, F401
"""Loans waived at a deceased member's exit (the board's decision) are written off in the
settlement's one entry AND recorded as write-offs (``LoanWriteOff``, route ``exit``): the
amounts the entry moved for each loan, the exit date, the waiver's reason and decision,
the settlement. So money the heirs pay later is a recovery on that loan, and the loan is
in the write-off register with the board's own write-offs. Such a write-off is not
reversed as a board write-off; the exit settlement that waived loans is not reversed
either (as before), and its write-offs stay."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_for_role, balances_check
from core.ledger.services import fiscal_year_ensure
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, LoanRecovery, LoanWriteOff
from core.loans.reports import report_write_offs
from core.loans.services import (
    loan_recovery_receive,
    loan_recovery_reverse,
    loan_settings_update,
    loan_write_off_reverse,
    write_off_summary,
)
from core.members.services import heir_add
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.loans.conftest import _media, assert_reconciled, make_loan, member, product, staff

D = Decimal
REASON = "Meninggal dunia; asuransi tidak menanggung"
DECISION = "SK Pengurus 12/2026"


@pytest.fixture
def two_loans(member, make_loan, staff, today, products):
    """A member with a Macet loan (allowance 75%: 7,500,000 of 10,000,000) and a young
    Lancar loan of 3,000,000 (allowance 0.5%: 15,000), graded by today's run, and a little
    savings (pokok 100,000 paid before the loans)."""
    loan_settings_update(by=staff["admin"], ppap_macet=D("75"))
    member.take_home_pay = D("50000000")
    member.save(update_fields=["take_home_pay"])
    acc = savings_account_get_or_open(
        member=member, product=products["pokok"], on=today - timedelta(days=330)
    )
    macet = make_loan(days_ago=320)
    young = make_loan(principal=D("3000000"), days_ago=20)
    teller_deposit(
        account=acc,
        amount=D("100000"),
        channel="cash",
        on=today - timedelta(days=5),
        by=staff["petugas"],
    )
    loans_arrears_update(on=today)
    macet.refresh_from_db()
    young.refresh_from_db()
    assert (macet.kolektibilitas, macet.ppap_amount) == ("macet", D("7500000"))
    assert young.ppap_amount == D("15000")
    heir_add(member=member, by=staff["bendahara"], full_name="Maria Tingang", relationship="istri")
    return member, macet, young


def _exit_waived(member, staff, on):
    return exit_settlement_confirm(
        member=member,
        reason="deceased",
        on=on,
        by=staff["bendahara"],
        waive_loans=True,
        waiver_reason=REASON,
        board_decision_ref=DECISION,
    )


def _moved(entry, loan):
    """What ``entry`` moved for ``loan`` (its lines carry the loan's number), by hand:
    {account role: (debit, credit)}."""
    roles = {
        account_for_role(r).pk: r
        for r in (
            "loan_receivable",
            "ppap_allowance",
            "ppap_expense",
            "deferred_jasa_income",
            "loan_interest_receivable",
        )
    }
    out = defaultdict(lambda: [D(0), D(0)])
    for ln in entry.lines.filter(memo=loan.number):
        role = roles[ln.account_id]
        out[role][0] += ln.debit
        out[role][1] += ln.credit
    return {k: tuple(v) for k, v in out.items()}


def test_waiver_records_a_write_off_per_loan_with_what_the_entry_moved(two_loans, staff, today):
    member, macet, young = two_loans
    s = _exit_waived(member, staff, today)
    wos = {wo.loan_id: wo for wo in LoanWriteOff.objects.all()}
    assert set(wos) == {macet.pk, young.pk}
    for wo in wos.values():
        assert (wo.route, wo.on, wo.reason, wo.decision_ref) == ("exit", today, REASON, DECISION)
        assert (wo.exit_settlement_id, wo.entry_id) == (s.pk, s.journal_entry_id)
        assert wo.reversal_entry_id is None
    m, y = wos[macet.pk], wos[young.pk]
    # by hand: the Macet loan used its 7,500,000 allowance, 2,500,000 expense; the young
    # one its 15,000, the rest (2,985,000) expense
    assert (m.principal, m.ppap_used, m.expense) == (D("10000000"), D("7500000"), D("2500000"))
    assert (y.principal, y.ppap_used, y.expense) == (D("3000000"), D("15000"), D("2985000"))
    for loan, wo in ((macet, m), (young, y)):
        assert _moved(s.journal_entry, loan) == {
            "loan_receivable": (D(0), wo.principal),
            "ppap_allowance": (wo.ppap_used, D(0)),
            "ppap_expense": (wo.expense, D(0)),
        }
    # the waived total the settlement records is the loans' payoff (principal + jasa due);
    # what the books wrote off is the principal
    assert m.amount + y.amount == D("13000000") <= s.loans_waived
    event = AuditEvent.objects.get(action="loan.writeoff", target_id=str(macet.pk))
    assert event.data["write_off"] == m.pk and event.data["route"] == "exit"
    assert event.data["decision_ref"] == DECISION and event.reason == REASON
    assert balances_check() == []
    assert_reconciled()


def test_the_register_lists_exit_write_offs_with_their_route(two_loans, staff, today):
    member, macet, young = two_loans
    _exit_waived(member, staff, today)
    rows = {r["number"]: r for r in report_write_offs(on=today).rows}
    assert set(rows) == {macet.number, young.number}
    assert rows[macet.number]["route"] == "Penyelesaian keluar anggota"
    assert rows[macet.number]["decision"] == DECISION
    total = report_write_offs(on=today).totals
    assert (total["amount"], total["ppap_used"], total["expense"]) == (
        D("13000000"),
        D("7515000"),
        D("5485000"),
    )
    # the day before the exit: not yet written off
    assert report_write_offs(on=today - timedelta(days=1)).rows == []


def test_heirs_paying_later_is_a_recovery_on_the_loan(two_loans, staff, today):
    member, macet, _young = two_loans
    _exit_waived(member, staff, today)
    macet.refresh_from_db()
    rec = loan_recovery_receive(loan=macet, amount=D(4_000_000), by=staff["petugas"], on=today)
    assert rec.write_off.route == "exit" and rec.receipt_number.startswith(f"ANG-{today.year}-")
    s = write_off_summary(macet)
    assert (s["amount"], s["recovered"], s["remaining"]) == (
        D("10000000"),
        D("4000000"),
        D("6000000"),
    )
    # more than remains: refused, nothing written
    before = (JournalEntry.objects.count(), LoanRecovery.objects.count())
    with pytest.raises(ApplicationError) as exc:
        loan_recovery_receive(loan=macet, amount=D(6_000_001), by=staff["petugas"], on=today)
    assert exc.value.code == "loan_recovery_exceeds_written_off"
    assert (JournalEntry.objects.count(), LoanRecovery.objects.count()) == before
    row = next(r for r in report_write_offs(on=today).rows if r["number"] == macet.number)
    assert (row["recovered"], row["remaining"]) == (D("4000000"), D("6000000"))
    loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Salah catat", on=today)
    row = next(r for r in report_write_offs(on=today).rows if r["number"] == macet.number)
    assert (row["recovered"], row["remaining"]) == (D("0"), D("10000000"))
    macet.refresh_from_db()
    assert (macet.status, macet.closed_by) == (Loan.Status.CLOSED, Loan.ClosedBy.WRITEOFF)
    assert balances_check() == []
    assert_reconciled()


def test_the_loan_page_and_api_take_a_recovery(two_loans, staff, client_a, today):
    member, macet, _young = two_loans
    _exit_waived(member, staff, today)
    url = f"/pinjaman/{macet.pk}/"
    client_a.force_login(staff["ketua"])
    html = client_a.get(url).content.decode()
    assert 'id="recovery-form"' in html
    assert "penyelesaian keluar anggota" in html
    # the chair is not offered to reverse it as a board write-off
    assert "reverse-write-off" not in html
    client_a.force_login(staff["bendahara"])
    r = client_a.post(
        f"/api/v1/loans/{macet.pk}/recover/", {"amount": "750000"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    rec = LoanRecovery.objects.get()
    assert client_a.get(f"/pinjaman/penerimaan/{rec.pk}/").status_code == 200
    assert write_off_summary(macet)["remaining"] == D("9250000")


def test_an_exit_write_off_is_not_reversed_as_a_board_write_off(two_loans, staff, today):
    member, macet, _young = two_loans
    s = _exit_waived(member, staff, today)
    wo = LoanWriteOff.objects.get(loan=macet)
    before = (JournalEntry.objects.count(), LoanWriteOff.objects.filter(reversed_on=None).count())
    with pytest.raises(ApplicationError) as exc:
        loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Salah", on=today)
    assert exc.value.code == "loan_write_off_at_exit"
    assert "penyelesaian keluar" in exc.value.message
    # nor through the exit's reversal (refused for waived loans, as before): it stays
    with pytest.raises(ApplicationError):
        exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="Salah", on=today)
    assert (
        JournalEntry.objects.count(),
        LoanWriteOff.objects.filter(reversed_on=None).count(),
    ) == before
    macet.refresh_from_db()
    assert (macet.status, macet.closed_by) == (Loan.Status.CLOSED, Loan.ClosedBy.WRITEOFF)
    assert balances_check() == []
    assert_reconciled()


def test_an_exit_without_waiver_records_no_write_off(member, make_loan, staff, today, products):
    fiscal_year_ensure(year=(today - timedelta(days=60)).year)  # early in the year: last year
    acc = savings_account_get_or_open(
        member=member, product=products["sukarela"], on=today - timedelta(days=60)
    )
    teller_deposit(
        account=acc,
        amount=D("20000000"),
        channel="cash",
        on=today - timedelta(days=50),
        by=staff["petugas"],
    )
    make_loan(principal=D("3000000"), days_ago=40)
    p = exit_settlement_preview(member=member, on=today)
    exit_settlement_confirm(
        member=member, reason="retired", on=today, by=staff["bendahara"], expected_net=p.net_payable
    )
    assert not LoanWriteOff.objects.exists()
