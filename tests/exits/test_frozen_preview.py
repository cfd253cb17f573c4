"""The exit settlement screen says up front that a frozen (diblokir) savings account
stops the settlement: it names the account and the freeze reason and offers no confirm
button; posting anyway is still refused with nothing changed."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from core.exits.services import exit_settlement_preview
from core.ledger.models import JournalEntry
from core.members.models import Member
from core.savings.models import ExitSettlement, SavingsAccount, SavingsTransaction
from core.savings.services import savings_account_freeze, savings_account_open, teller_deposit
from tests.members import factories as f


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def leaver(products, member_a, teller, today):
    """A member with a wajib and a sukarela account, the sukarela one frozen."""
    for kind, amount in (("wajib", "1200000"), ("sukarela", "500000")):
        acc = savings_account_open(member=member_a, product=products[kind], on=today)
        teller_deposit(account=acc, amount=D(amount), channel="cash", on=today, by=teller)
    return member_a


def _sukarela(member, products):
    return SavingsAccount.objects.get(member=member, product=products["sukarela"])


def _client(client_a, user) -> Client:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    return c


def _state(member):
    return (
        Member.objects.get(pk=member.pk).status,
        list(
            SavingsAccount.objects.filter(member=member)
            .order_by("pk")
            .values_list("status", "balance")
        ),
        SavingsTransaction.objects.count(),
        JournalEntry.objects.count(),
        ExitSettlement.objects.count(),
    )


def test_preview_names_the_frozen_account_and_its_reason(leaver, products, bendahara, today):
    acc = _sukarela(leaver, products)
    assert exit_settlement_preview(member=leaver, on=today).refusals == []
    savings_account_freeze(account=acc, reason="sita pengadilan", by=bendahara)
    p = exit_settlement_preview(member=leaver, on=today)
    assert len(p.refusals) == 1
    assert acc.number in p.refusals[0] and "sita pengadilan" in p.refusals[0]


def test_screen_shows_the_freeze_without_a_confirm_button_and_post_changes_nothing(
    leaver, products, bendahara, client_a, today
):
    acc = _sukarela(leaver, products)
    c = _client(client_a, bendahara)
    url = reverse("exits:settle", args=[leaver.pk])
    open_page = c.get(url).content.decode()
    assert "Konfirmasi penyelesaian</button>" in open_page  # offered while nothing is frozen

    savings_account_freeze(account=acc, reason="sita pengadilan", by=bendahara)
    page = c.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert acc.number in html and "sita pengadilan" in html and "diblokir" in html
    assert "Konfirmasi penyelesaian</button>" not in html
    assert "tidak dapat dikonfirmasi" in html

    before = _state(leaver)
    p = exit_settlement_preview(member=leaver, on=today)
    r = c.post(
        url,
        {
            "reason": "resigned",
            "on": today.isoformat(),
            "channel": "cash",
            "payee": "member",
            "expected_net": str(p.net()),
            "expected_net_waived": str(p.net(waive_loans=True)),
            "shown_on": today.isoformat(),
        },
    )
    assert r.status_code == 200
    assert "sita pengadilan" in r.content.decode()
    assert _state(leaver) == before
    assert Member.objects.get(pk=leaver.pk).is_active
