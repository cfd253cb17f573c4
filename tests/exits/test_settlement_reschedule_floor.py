# ruff: noqa: F811, F401
"""An exit settlement pays the member's loans off on its date: not before the loan's last
reschedule (the schedule in force from that date; a settlement dated before it would pay
rows that did not exist yet). Refused with the loan and the reschedule date named, on the
screen before confirming and by the service, nothing written; dated on or after the
reschedule, it settles."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.ledger.models import JournalEntry
from core.loans.models import Instalment, Loan, Repayment
from core.loans.services import loan_reschedule
from core.members.models import Member
from core.savings.models import ExitSettlement, SavingsAccount, SavingsTransaction
from tests.loans.conftest import _media, make_loan, member, product, staff

from .test_settlement_loans import _screen, funded


@pytest.fixture
def rescheduled(funded, make_loan, staff, today):
    """A loan paid out 40 days ago, rescheduled 10 days ago (the member's savings were
    last moved 30 days ago: only the reschedule holds an exit date back)."""
    loan = make_loan(principal=D("10000000"), days_ago=40)
    loan_reschedule(
        loan=loan, by=staff["ketua"], tenor=12, reason="gaji turun", on=today - timedelta(days=10)
    )
    loan.refresh_from_db()
    return loan


def _state(member):
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
        sorted(SavingsAccount.objects.filter(member=member).values_list("pk", "balance", "status")),
        sorted(Loan.objects.values_list("pk", "principal_outstanding", "status")),
        sorted(Instalment.objects.values_list("pk", "principal_paid", "jasa_paid", "settled")),
        Member.objects.get(pk=member.pk).status,
    )


def test_exit_dated_before_the_loans_last_reschedule_is_refused_and_changes_nothing(
    rescheduled, funded, staff, today
):
    resched_on = today - timedelta(days=10)
    on = resched_on - timedelta(days=5)
    preview = exit_settlement_preview(member=funded, on=on)
    assert preview.refused  # the screen offers no confirm button, and says why
    assert any(rescheduled.number in m for m in preview.loan_refusals), preview.loan_refusals
    before = _state(funded)
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(
            member=funded,
            reason="resigned",
            on=on,
            by=staff["bendahara"],
            expected_net=preview.net_payable,
        )
    msg = str(e.value.message)
    assert e.value.code == "settlement_bad_date"
    assert rescheduled.number in msg and format_tanggal(resched_on) in msg, msg
    assert "penjadwalan ulang" in msg
    assert "on" in e.value.fields
    assert _state(funded) == before
    assert not ExitSettlement.objects.filter(member=funded).exists()


@pytest.mark.parametrize("after", [0, 3])
def test_exit_on_or_after_the_reschedule_settles_the_loan(rescheduled, funded, staff, today, after):
    on = today - timedelta(days=10) + timedelta(days=after)
    preview = exit_settlement_preview(member=funded, on=on)
    assert not preview.refused, preview.loan_refusals
    s = exit_settlement_confirm(
        member=funded,
        reason="resigned",
        on=on,
        by=staff["bendahara"],
        expected_net=preview.net_payable,
    )
    assert s.on == on and s.loans_outstanding == preview.loans_outstanding > 0
    rescheduled.refresh_from_db()
    assert rescheduled.status == Loan.Status.CLOSED and rescheduled.closed_on == on
    assert rescheduled.principal_outstanding == 0


def test_exit_screen_before_the_reschedule_says_why_and_a_post_changes_nothing(
    client_a, rescheduled, funded, staff, today
):
    from django.urls import reverse

    resched_on = today - timedelta(days=10)
    on = resched_on - timedelta(days=1)
    c = _screen(client_a, staff["bendahara"])
    url = reverse("exits:settle", args=[funded.pk])
    html = c.get(url, {"on": on.isoformat()}).content.decode()
    assert "tidak dapat dikonfirmasi" in html and rescheduled.number in html
    assert "penjadwalan ulang" in html and format_tanggal(resched_on) in html
    assert "Konfirmasi penyelesaian</button>" not in html
    before = _state(funded)
    r = c.post(
        url,
        {
            "reason": "resigned",
            "on": on.isoformat(),
            "shown_on": on.isoformat(),
            "channel": "bank",
            "payee": "member",
            "expected_net": str(exit_settlement_preview(member=funded, on=on).net_payable),
        },
    )
    assert r.status_code == 200  # the page again, with the reason; not a 500
    assert rescheduled.number in r.content.decode()
    assert _state(funded) == before
    html = c.get(url, {"on": resched_on.isoformat()}).content.decode()
    assert "Konfirmasi penyelesaian</button>" in html
