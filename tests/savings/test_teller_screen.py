"""The teller screen: no account pre-selected; after an error every value is kept
(issue 17 item 6); amounts read with the one rupiah parser (item 7)."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.savings.models import SavingsTransaction
from core.savings.services import savings_account_open
from tests.members import factories as f

D = Decimal


@pytest.fixture
def screen(tenant_a, in_tenant_a, products, member_a):
    from tenants.services import tenant_host

    today = timezone.localdate()
    accounts = {
        k: savings_account_open(member=member_a, product=products[k], on=today)
        for k in ("pokok", "sukarela")
    }
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("petugas"))
    url = reverse("savings:teller") + f"?member={member_a.pk}"
    return c, url, accounts


def _checked(html: str) -> list[str]:
    return re.findall(r'name="account" value="(\d+)"[^>]*\schecked', html)


def test_no_account_is_preselected(screen):
    c, url, _acc = screen
    html = c.get(url).content.decode()
    assert 'name="account"' in html
    assert _checked(html) == []


def test_submit_without_account_is_refused_and_writes_nothing(screen):
    c, url, _acc = screen
    r = c.post(url, {"action": "deposit", "amount": "250.000", "channel": "cash"})
    assert r.status_code == 200
    assert "Pilih rekening" in r.content.decode()
    assert not SavingsTransaction.objects.exists()


def test_after_a_validation_error_the_form_keeps_every_value(screen):
    c, url, acc = screen
    sukarela = acc["sukarela"]
    r = c.post(
        url,
        {
            "account": sukarela.pk,
            "action": "withdraw",
            "amount": "1.234,56",
            "channel": "bank",
            "memo": "titipan Bu Sri",
        },
    )
    html = r.content.decode()
    assert r.status_code == 200 and "rupiah utuh" in html
    assert _checked(html) == [str(sukarela.pk)]  # not the pokok account
    assert 'value="1.234,56"' in html
    assert re.search(r'value="withdraw"[^>]*selected', html)
    assert re.search(r'value="bank"[^>]*selected', html)
    assert 'value="titipan Bu Sri"' in html
    assert not SavingsTransaction.objects.exists()


def test_after_a_service_error_the_chosen_account_stays_chosen(screen):
    c, url, acc = screen
    sukarela = acc["sukarela"]
    r = c.post(
        url, {"account": sukarela.pk, "action": "withdraw", "amount": "5.000", "channel": "cash"}
    )
    html = r.content.decode()
    assert r.status_code == 200 and "Saldo tidak cukup" in html
    assert _checked(html) == [str(sukarela.pk)]
    assert 'value="5.000"' in html


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("500.000", 500000), ("Rp 1.250.000", 1250000), ("Rp\u00a0250.000", 250000)],
)
def test_teller_reads_amounts_as_people_type_them(screen, typed, amount):
    c, url, acc = screen
    r = c.post(
        url,
        {"account": acc["sukarela"].pk, "action": "deposit", "amount": typed, "channel": "cash"},
    )
    assert r.status_code == 302
    assert SavingsTransaction.objects.get().amount == D(amount)


def test_account_of_another_member_is_refused(screen, products):
    c, url, _acc = screen
    other = savings_account_open(
        member=f.member(), product=products["sukarela"], on=timezone.localdate()
    )
    r = c.post(url, {"account": other.pk, "action": "deposit", "amount": "1000", "channel": "cash"})
    assert r.status_code == 200 and "bukan milik" in r.content.decode()
    assert not SavingsTransaction.objects.exists()
