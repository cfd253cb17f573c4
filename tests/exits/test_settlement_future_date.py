"""An exit dated in the future: the settlement screen shows the figures (an estimate) but
says up front, in Indonesian, that it can be confirmed only on or after that date — the
ledger takes no future-dated entry — and offers no confirm button; posting anyway
changes nothing and says the same. (The API's confirmation, ``POST /api/v1/members/<id>/
exit-settlement/confirm/``, is refused the same way: ``tests/exits/test_settlement_api.py``.)"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from core.common.dates import format_tanggal
from core.exits.services import exit_settlement_preview
from core.ledger.models import JournalEntry
from core.members.models import Member
from core.savings.models import ExitSettlement, SavingsTransaction
from core.savings.services import savings_account_open, teller_deposit
from tests.members import factories as f

BUTTON = "Konfirmasi penyelesaian</button>"


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def leaver(products, member_a, teller, today):
    acc = savings_account_open(member=member_a, product=products["wajib"], on=today)
    teller_deposit(account=acc, amount=D("1200000"), channel="cash", on=today, by=teller)
    return member_a


def _client(client_a, user) -> Client:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    return c


def _state(member):
    return (
        Member.objects.get(pk=member.pk).status,
        SavingsTransaction.objects.count(),
        JournalEntry.objects.count(),
        ExitSettlement.objects.count(),
    )


def test_screen_for_a_future_date_says_so_and_offers_no_confirm_button(
    leaver, bendahara, client_a, today
):
    c = _client(client_a, bendahara)
    url = reverse("exits:settle", args=[leaver.pk])
    assert BUTTON in c.get(f"{url}?on={today.isoformat()}").content.decode()

    later = today + timedelta(days=10)
    page = c.get(f"{url}?on={later.isoformat()}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="exit-future"' in html
    assert format_tanggal(later) in html and "belum tiba" in html
    assert "tanggal yang akan datang" in html
    assert BUTTON not in html
    assert "Rp 1.200.000" in html  # the figures are still shown


def test_posting_a_future_date_changes_nothing_and_says_why(leaver, bendahara, client_a, today):
    c = _client(client_a, bendahara)
    later = today + timedelta(days=10)
    p = exit_settlement_preview(member=leaver, on=later)
    before = _state(leaver)
    r = c.post(
        reverse("exits:settle", args=[leaver.pk]),
        {
            "reason": "resigned",
            "on": later.isoformat(),
            "channel": "cash",
            "payee": "member",
            "expected_net": str(p.net()),
            "expected_net_waived": str(p.net(waive_loans=True)),
            "shown_on": later.isoformat(),
        },
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="exit-future"' in html and format_tanggal(later) in html
    assert BUTTON not in html
    assert _state(leaver) == before


def test_the_service_is_refused_by_the_ledger_with_nothing_written(leaver, bendahara, today):
    """Called directly, the settlement is refused with the ledger's own code for the
    rule, ``future_date`` (400), saying what the screen says, and nothing is written."""
    from core.common.errors import ApplicationError
    from core.exits.services import exit_settlement_confirm

    later = today + timedelta(days=10)
    before = _state(leaver)
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=leaver, reason="resigned", on=later, by=bendahara)
    assert (e.value.code, e.value.status_code) == ("future_date", 400)
    assert _state(leaver) == before
