"""A loan written off (an exit on death, by the board's decision) is closed without
being repaid: the loan page, the loan list, the member's page and the kartu said
*Lunas* (paid off) of it. They now say *Dihapusbukukan*; a loan paid off stays *Lunas*."""

from decimal import Decimal as D

from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.loans.models import Loan
from core.loans.reports import report_card
from core.loans.services import member_loans_settle_apply


def _settle(member, staff, today, *, waive):
    lines = member_loans_settle_apply(
        member=member, on=today, by=staff["bendahara"], waive=waive, reason="Meninggal"
    )
    total = sum((ln.credit - ln.debit for ln in lines), D(0))
    extra = [LineSpec(account_for_role("cash"), debit=total)] if total else []
    journal_post(
        on=today, description="uji", lines=[*extra, *lines], source="loan", source_ref="t", by="t"
    )


def test_a_written_off_loan_is_not_called_paid_off(make_loan, staff, member, client_a, today):
    loan = make_loan(days_ago=40)
    _settle(member, staff, today, waive=True)
    loan.refresh_from_db()
    assert (loan.status, loan.closed_by) == (Loan.Status.CLOSED, Loan.ClosedBy.WRITEOFF)
    client_a.force_login(staff["bendahara"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    heading = html[html.index("<h1") : html.index("</h1>")]
    assert "Dihapusbukukan" in heading and "Lunas" not in heading
    for url in ("/pinjaman/?status=closed", f"/anggota/{member.pk}/"):
        html = client_a.get(url).content.decode()
        row = next(t for t in html.split("<tr") if loan.number in t).split("</tr>")[0]
        assert "Dihapusbukukan" in row and "Lunas" not in row, url
    assert "status Dihapusbukukan" in " ".join(report_card(loan=loan, on=today).notes)


def test_a_loan_paid_off_at_the_exit_stays_lunas(make_loan, staff, member, client_a, today):
    loan = make_loan(days_ago=40)
    _settle(member, staff, today, waive=False)
    client_a.force_login(staff["bendahara"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert "Lunas" in html[html.index("<h1") :][:300]
