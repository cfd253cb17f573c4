"""The savings receipt (kuitansi setoran / bukti penarikan) says the amount in words."""

from decimal import Decimal as D

from django.utils import timezone

from core.savings.seeding import product_by_kind, savings_products_seed
from core.savings.services import savings_account_open, teller_deposit, teller_withdraw
from tests.members import factories as f
from tests.pdfs import pdf_text


def test_deposit_and_withdrawal_receipts(in_tenant_a, client_a):
    savings_products_seed()
    today = timezone.localdate()
    petugas = f.user("petugas")
    acc = savings_account_open(member=f.member(), product=product_by_kind("sukarela"), on=today)
    dep = teller_deposit(account=acc, amount=D(1_250_000), channel="cash", on=today, by=petugas)
    wd = teller_withdraw(account=acc, amount=D(75_500), channel="cash", on=today, by=petugas)
    client_a.force_login(petugas)
    text = pdf_text(client_a.get(f"/simpanan/kuitansi/{dep.pk}.pdf"))
    assert "Terbilang" in text and "Satu juta dua ratus lima puluh ribu rupiah" in text
    text = pdf_text(client_a.get(f"/simpanan/kuitansi/{wd.pk}.pdf"))
    assert "Tujuh puluh lima ribu lima ratus rupiah" in text
