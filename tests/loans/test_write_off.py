"""Writing off (hapus buku) a Macet loan of a member who stays, by the board's decision:
the chair records it; the allowance held for the loan is used first, any principal
beyond it is PPAP expense; the loan closes as *Dihapusbukukan* and leaves the payroll
list and the outstanding / NPL figures; refusals change nothing; a write-off booked in
error is reversed (its entry reversed, the loan running again as it was)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, Period
from core.ledger.selectors import balances_check
from core.loans.arrears import loans_arrears_update
from core.loans.models import Instalment, Loan, LoanWriteOff
from core.loans.selectors import collectibility_summary, loans_amounts_due
from core.loans.services import (
    loan_repay,
    loan_settings_update,
    loan_write_off,
    loan_write_off_reverse,
)
from tests.loans.conftest import assert_reconciled, month_close_as_treasurer

DECISION = "SK-07/PENGURUS/2026"


def lines_of(entry):
    return sorted(
        (ln.account.code, ln.debit, ln.credit) for ln in entry.lines.select_related("account")
    )


@pytest.fixture
def macet_loan(make_loan, today):
    """A 10,000,000 loan, 10 months flat at 1%, disbursed 320 days ago and never paid:
    about 290 days past due, Macet, PPAP 100% of the principal outstanding."""
    loan = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert (loan.kolektibilitas, loan.ppap_amount) == ("macet", D("10000000"))
    return loan


def _state(loan):
    loan.refresh_from_db()
    return (
        loan.status,
        loan.principal_outstanding,
        loan.ppap_amount,
        loan.closed_by,
        JournalEntry.objects.count(),
        LoanWriteOff.objects.count(),
        Instalment.objects.filter(loan=loan, settled=True).count(),
    )


def test_write_off_uses_the_allowance_and_closes_the_loan(macet_loan, staff, member, today):
    wo = loan_write_off(
        loan=macet_loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    # by hand: the 10,000,000 allowance held for it covers the principal outstanding
    assert lines_of(wo.entry) == [
        ("1103", D("0"), D("10000000")),
        ("1104", D("10000000"), D("0")),
    ]
    assert DECISION in wo.entry.description
    macet_loan.refresh_from_db()
    assert (macet_loan.status, macet_loan.closed_by, macet_loan.closed_on) == (
        Loan.Status.CLOSED,
        Loan.ClosedBy.WRITEOFF,
        today,
    )
    assert (macet_loan.principal_outstanding, macet_loan.ppap_amount) == (0, 0)
    assert not Instalment.objects.filter(loan=macet_loan, is_current=True, settled=False).exists()
    # no payroll list asks for it; the member stays active
    assert macet_loan.pk not in loans_amounts_due(on=today + timedelta(days=40))
    member.refresh_from_db()
    assert member.status == "active"
    event = AuditEvent.objects.get(action="loan.writeoff", target_id=str(macet_loan.pk))
    assert event.reason == "Tidak tertagih" and event.data["decision_ref"] == DECISION
    assert (wo.amount, wo.ppap_used, wo.expense) == (D("10000000"), D("10000000"), 0)
    assert balances_check() == []
    assert_reconciled()


def test_principal_beyond_the_allowance_is_ppap_expense(make_loan, staff, today):
    loan_settings_update(by=staff["admin"], ppap_macet=D("75"))
    loan = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert loan.ppap_amount == D("7500000")
    wo = loan_write_off(
        loan=loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    assert lines_of(wo.entry) == [
        ("1103", D("0"), D("10000000")),
        ("1104", D("7500000"), D("0")),
        ("5102", D("2500000"), D("0")),
    ]
    assert (wo.ppap_used, wo.expense) == (D("7500000"), D("2500000"))
    # the next arrears run has no allowance of it left to release
    run = loans_arrears_update(on=today)
    assert run.entry is None
    assert balances_check() == []
    assert_reconciled()


def test_written_off_loan_leaves_outstanding_and_npl(macet_loan, make_loan, staff, today):
    from tests.members import factories as f

    make_loan(principal=D(3_000_000), days_ago=10, who=f.member(take_home_pay=D(9_000_000)))
    loans_arrears_update(on=today)
    before = collectibility_summary()
    loan_write_off(
        loan=macet_loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    after = collectibility_summary()
    assert before["total"] - after["total"] == D("10000000")
    assert after["npl_ratio"] == 0


@pytest.mark.parametrize("role", ["bendahara", "petugas", "pengawas", "admin"])
def test_only_the_chair_writes_off(macet_loan, staff, role):
    before = _state(macet_loan)
    with pytest.raises(ApplicationError) as exc:
        loan_write_off(
            loan=macet_loan,
            by=staff[role],
            on=macet_loan.disbursed_on + timedelta(days=300),
            reason="x",
            decision_ref=DECISION,
        )
    assert exc.value.code == "permission_denied"
    assert _state(macet_loan) == before


def test_refuses_a_loan_not_macet_and_changes_nothing(make_loan, staff, today):
    loan = make_loan(days_ago=130)  # about 100 days past due: Kurang Lancar
    loans_arrears_update(on=today)
    before = _state(loan)
    with pytest.raises(ApplicationError) as exc:
        loan_write_off(
            loan=loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
        )
    assert exc.value.code == "loan_write_off_not_macet"
    assert "Macet" in exc.value.message and loan.number in exc.value.message
    assert _state(loan) == before


def test_refuses_without_reason_or_decision(macet_loan, staff, today):
    before = _state(macet_loan)
    for reason, ref, field in (("  ", DECISION, "reason"), ("Tidak tertagih", " ", "decision_ref")):
        with pytest.raises(ApplicationError) as exc:
            loan_write_off(
                loan=macet_loan, by=staff["ketua"], on=today, reason=reason, decision_ref=ref
            )
        assert field in exc.value.fields
    assert _state(macet_loan) == before


def test_refuses_a_closed_loan(macet_loan, staff, today):
    loan_write_off(
        loan=macet_loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    before = _state(macet_loan)
    with pytest.raises(ApplicationError) as exc:
        loan_write_off(
            loan=macet_loan, by=staff["ketua"], on=today, reason="lagi", decision_ref=DECISION
        )
    assert exc.value.code == "loan_not_running"
    assert _state(macet_loan) == before


def test_refuses_a_date_before_the_last_payment(macet_loan, staff, today):
    loan_repay(loan=macet_loan, amount=D(100_000), by=staff["bendahara"], on=today)
    before = _state(macet_loan)
    with pytest.raises(ApplicationError) as exc:
        loan_write_off(
            loan=macet_loan,
            by=staff["ketua"],
            on=today - timedelta(days=1),
            reason="Tidak tertagih",
            decision_ref=DECISION,
        )
    assert exc.value.code == "loan_date_invalid"
    assert _state(macet_loan) == before


def test_refuses_a_closed_month(macet_loan, staff, today):
    on = today.replace(day=1) - timedelta(days=1)  # last month's last day
    month_close_as_treasurer(
        period=Period.objects.get(start_date=on.replace(day=1)), by=staff["bendahara"]
    )
    before = _state(macet_loan)
    with pytest.raises(ApplicationError):
        loan_write_off(
            loan=macet_loan,
            by=staff["ketua"],
            on=on,
            reason="Tidak tertagih",
            decision_ref=DECISION,
        )
    assert _state(macet_loan) == before


def test_reversal_runs_the_loan_again_as_it_was(macet_loan, staff, today):
    open_rows = set(
        Instalment.objects.filter(loan=macet_loan, settled=False).values_list(
            "pk", "principal_paid"
        )
    )
    wo = loan_write_off(
        loan=macet_loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Salah pinjaman", on=today)
    macet_loan.refresh_from_db()
    assert (macet_loan.status, macet_loan.closed_by, macet_loan.principal_outstanding) == (
        Loan.Status.DISBURSED,
        "",
        D("10000000"),
    )
    assert (macet_loan.kolektibilitas, macet_loan.ppap_amount) == ("macet", D("10000000"))
    assert (
        set(
            Instalment.objects.filter(loan=macet_loan, settled=False).values_list(
                "pk", "principal_paid"
            )
        )
        == open_rows
    )
    wo.refresh_from_db()
    assert lines_of(wo.reversal_entry) == [
        ("1103", D("10000000"), D("0")),
        ("1104", D("0"), D("10000000")),
    ]
    assert AuditEvent.objects.filter(action="loan.writeoff.reverse").count() == 1
    # nothing moves at the next run; it can be written off again
    assert loans_arrears_update(on=today).entry is None
    loan_write_off(
        loan=macet_loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    assert balances_check() == []
    assert_reconciled()


def test_reversal_refused_for_other_roles_and_twice(macet_loan, staff, today):
    wo = loan_write_off(
        loan=macet_loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    with pytest.raises(ApplicationError) as exc:
        loan_write_off_reverse(write_off=wo, by=staff["bendahara"], reason="x", on=today)
    assert exc.value.code == "permission_denied"
    loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Salah", on=today)
    before = _state(macet_loan)
    with pytest.raises(ApplicationError) as exc:
        loan_write_off_reverse(write_off=wo, by=staff["ketua"], reason="Salah", on=today)
    assert exc.value.code == "loan_already_reversed"
    assert _state(macet_loan) == before


def test_a_generic_journal_reversal_of_the_entry_is_refused(macet_loan, staff, today):
    from core.ledger.services import journal_reverse

    wo = loan_write_off(
        loan=macet_loan, by=staff["ketua"], on=today, reason="Tidak tertagih", decision_ref=DECISION
    )
    with pytest.raises(ApplicationError):
        journal_reverse(entry=wo.entry, on=today, reason="coba", by=staff["admin"])


# --- the loan page and the API ---------------------------------------------------------


def test_the_chair_sees_the_button_confirms_the_amounts_and_writes_off(
    macet_loan, staff, client_a, today
):
    url = f"/pinjaman/{macet_loan.pk}/"
    for role in ("bendahara", "petugas", "admin"):
        client_a.force_login(staff[role])
        assert 'id="write-off-form"' not in client_a.get(url).content.decode(), role
    client_a.force_login(staff["ketua"])
    assert 'id="write-off-form"' in client_a.get(url).content.decode()
    body = {"on": today.isoformat(), "reason": "Tidak tertagih", "decision_ref": DECISION}
    page = client_a.post(f"{url}write-off/", body).content.decode()
    # the confirmation: what is written off and against what, nothing booked yet
    assert "Konfirmasi hapus buku" in page and DECISION in page
    assert "Rp 10.000.000" in page
    assert not LoanWriteOff.objects.exists()
    r = client_a.post(f"{url}write-off/", {**body, "confirmed": "1"})
    assert r.status_code == 302
    html = client_a.get(url).content.decode()
    summary = html[html.index('id="write-off-summary"') :].split("</table>")[0]
    assert "Rp 10.000.000" in summary and "Rp 0" in summary
    assert 'id="write-off-form"' not in html


def test_a_refusal_on_the_page_is_a_message_not_an_error(make_loan, staff, client_a, today):
    loan = make_loan(days_ago=40)
    client_a.force_login(staff["ketua"])
    body = {"on": today.isoformat(), "reason": "x", "decision_ref": DECISION, "confirmed": "1"}
    r = client_a.post(f"/pinjaman/{loan.pk}/write-off/", body, follow=True)
    assert r.status_code == 200
    assert "hanya pinjaman Macet" in r.content.decode()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED


def test_api_write_off_once_per_key_and_one_error_shape(macet_loan, staff, client_a, today):
    client_a.force_login(staff["bendahara"])
    url = f"/api/v1/loans/{macet_loan.pk}/write-off/"
    body = {"reason": "Tidak tertagih", "decision_ref": DECISION}
    r = client_a.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="wo-b")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    client_a.force_login(staff["ketua"])
    first = client_a.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="wo-1")
    assert first.status_code == 201, first.content
    assert first.json()["ppap_used"] in ("10000000.00", "10000000")
    assert first.json()["route"] == "board"
    again = client_a.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="wo-1")
    assert again["Idempotent-Replayed"] == "true"
    assert LoanWriteOff.objects.count() == 1
    other = client_a.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="wo-2")
    assert other.status_code == 409 and other.json()["error"]["code"] == "loan_not_running"
