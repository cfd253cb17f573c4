"""Cancelling a teller transaction that cannot be cancelled is refused at the first
click, with the reason, not after a confirmation page that asked to confirm it (found
walking the demo: a deposit already withdrawn showed "Saldo setelah dibatalkan
-Rp 999.999.997.144.754" and a *Ya, batalkan* button; an empty reason too reached the
confirmation page, refused only after it)."""

from decimal import Decimal

import pytest
from django.test import Client

from core.savings.models import SavingsTransaction
from core.savings.services import savings_account_open, teller_deposit, teller_withdraw
from tests.members import factories as f

D = Decimal


@pytest.fixture
def sukarela(products, member_a, today):
    return savings_account_open(member=member_a, product=products["sukarela"], on=today)


@pytest.fixture
def bendahara_client(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("bendahara"))
    return c


def _messages(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


def test_deposit_already_withdrawn_is_refused_before_the_confirmation_page(
    sukarela, teller, bendahara_client, today
):
    txn = teller_deposit(account=sukarela, amount=D(500000), channel="cash", on=today, by=teller)
    teller_withdraw(account=sukarela, amount=D(400000), channel="cash", on=today, by=teller)
    before = SavingsTransaction.objects.count()
    resp = bendahara_client.post(
        f"/simpanan/transaksi/{txn.pk}/batal/", {"reason": "salah ketik"}, follow=True
    )
    html = resp.content.decode()
    assert 'id="confirm"' not in html and "Ya, batalkan" not in html
    assert resp.redirect_chain[-1][0] == f"/simpanan/rekening/{sukarela.pk}/"
    assert _messages(resp) == [
        f"Setoran {txn.receipt_number} tidak dapat dibatalkan: saldo rekening tinggal "
        "Rp 100.000, kurang dari Rp 500.000 (sudah ditarik)."
    ]
    assert SavingsTransaction.objects.count() == before


def test_deposit_already_withdrawn_refusal_in_english_shows_rupiah_as_the_english_ui(
    sukarela, teller, bendahara_client, today
):
    """The English screens show amounts as ``Rp 1.234.567`` too (the ``rupiah`` filter,
    ``format_rupiah``): the refusal says the same, not a bare ``100.000``."""
    txn = teller_deposit(account=sukarela, amount=D(1234567), channel="cash", on=today, by=teller)
    teller_withdraw(account=sukarela, amount=D(1234000), channel="cash", on=today, by=teller)
    bendahara_client.cookies["django_language"] = "en"  # the switcher's choice
    resp = bendahara_client.post(
        f"/simpanan/transaksi/{txn.pk}/batal/", {"reason": "typo"}, follow=True
    )
    assert _messages(resp) == [
        f"Deposit {txn.receipt_number} cannot be cancelled: the account balance is "
        "Rp 567, less than Rp 1.234.567 (already withdrawn)."
    ]


def test_empty_reason_is_refused_before_the_confirmation_page(
    sukarela, teller, bendahara_client, today
):
    txn = teller_deposit(account=sukarela, amount=D(500000), channel="cash", on=today, by=teller)
    resp = bendahara_client.post(
        f"/simpanan/transaksi/{txn.pk}/batal/", {"reason": " "}, follow=True
    )
    assert 'id="confirm"' not in resp.content.decode()
    assert _messages(resp) == ["Alasan pembatalan wajib diisi."]
    sukarela.refresh_from_db()
    assert sukarela.balance == D(500000)


def test_a_cancellable_deposit_still_gets_its_confirmation_page(
    sukarela, teller, bendahara_client, today
):
    txn = teller_deposit(account=sukarela, amount=D(500000), channel="cash", on=today, by=teller)
    html = bendahara_client.post(
        f"/simpanan/transaksi/{txn.pk}/batal/", {"reason": "salah ketik"}
    ).content.decode()
    assert 'id="confirm"' in html and "Ya, batalkan Rp 500.000" in html
