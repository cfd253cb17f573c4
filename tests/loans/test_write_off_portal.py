"""The member sees a loan written off by the board in the portal as *Dihapusbukukan*
with the amount written off and what was received on it since (recoveries not
reversed) and what remains, read only: no dues, no payoff quote, no form."""

from decimal import Decimal as D

import pytest

from core.loans.arrears import loans_arrears_update
from core.loans.services import loan_recovery_receive, loan_recovery_reverse, loan_write_off
from core.members.services import member_user_link
from tests.members import factories as f


@pytest.fixture
def portal(member, client_a):
    user = f.user("anggota")
    member_user_link(member=member, user=user, by="tests")
    client_a.force_login(user)
    return client_a


def _section(html: str) -> str:
    return html[html.index('id="portal-loan-write-off"') :].split("</section>")[0]


def test_the_portal_shows_the_write_off_and_the_recoveries(make_loan, staff, portal, today):
    loan = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    loan_write_off(loan=loan, by=staff["ketua"], on=today, reason="Macet", decision_ref="SK-3")
    loan.refresh_from_db()
    rec = loan_recovery_receive(loan=loan, amount=D(1_500_000), by=staff["petugas"], on=today)
    loan_recovery_receive(loan=loan, amount=D(500_000), by=staff["petugas"], on=today)
    loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="Salah anggota")
    html = portal.get(f"/portal/pinjaman/{loan.pk}/").content.decode()
    heading = html[html.index("<dl") : html.index("</dl>")]
    assert "Dihapusbukukan" in heading and "Lunas" not in heading
    s = _section(html)
    assert "Rp 10.000.000" in s  # written off
    assert "Rp 500.000" in s  # received since (the reversed 1,500,000 not counted)
    assert "Rp 9.500.000" in s  # remaining
    assert "Rp 1.500.000" not in s
    assert "<form" not in html.split("portal-loan-write-off")[1]
    assert 'id="portal-loan-payoff"' not in html and 'id="portal-loan-dues"' not in html


def test_a_loan_not_written_off_has_no_such_section(make_loan, portal):
    loan = make_loan(days_ago=40)
    html = portal.get(f"/portal/pinjaman/{loan.pk}/").content.decode()
    assert "portal-loan-write-off" not in html
