"""Deactivating a chart-of-accounts account: refused while it still holds a balance
(the message names the balance in rupiah, in the UI and in the API's JSON error); an
account whose balance is zero can be deactivated."""

from decimal import Decimal

from core.ledger.models import Account
from core.ledger.services import LineSpec, journal_post

D = Decimal


def _account(code: str) -> Account:
    group = Account.objects.get(code="53")
    return Account.objects.create(
        code=code, name="Beban uji", type="expense", normal_side="debit", parent=group
    )


def _post(by, today, code: str, amount: str, *, reverse: bool = False):
    a, b = (LineSpec("1101", debit=D(amount)), LineSpec(code, credit=D(amount)))
    if not reverse:
        a, b = LineSpec(code, debit=D(amount)), LineSpec("1101", credit=D(amount))
    return journal_post(on=today, description="uji saldo", by=by, lines=[a, b])


def test_api_refuses_deactivating_an_account_with_a_balance(login, bendahara, today):
    acc = _account("5391")
    _post(bendahara, today, "5391", "1234567")
    r = login("bendahara").patch(
        f"/api/v1/ledger/accounts/{acc.pk}/", {"is_active": False}, content_type="application/json"
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "account_has_balance"
    assert err["message"] == ("Akun 5391 masih bersaldo Rp 1.234.567; pindahkan saldonya dulu.")
    assert "is_active" in err["fields"]
    acc.refresh_from_db()
    assert acc.is_active


def test_api_deactivates_an_account_whose_balance_is_zero(login, bendahara, today):
    acc = _account("5392")
    _post(bendahara, today, "5392", "250000")
    _post(bendahara, today, "5392", "250000", reverse=True)  # moved out again
    r = login("bendahara").patch(
        f"/api/v1/ledger/accounts/{acc.pk}/", {"is_active": False}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    acc.refresh_from_db()
    assert not acc.is_active


def test_form_refuses_deactivating_an_account_with_a_balance(login, bendahara, today):
    acc = _account("5393")
    _post(bendahara, today, "5393", "1234567.50")
    r = login("bendahara").post(f"/buku-besar/akun/{acc.pk}/", {"name": "Beban uji"}, follow=True)
    assert r.status_code == 200
    assert "Akun 5393 masih bersaldo Rp 1.234.567,50; pindahkan saldonya dulu." in (
        r.content.decode()
    )
    acc.refresh_from_db()
    assert acc.is_active


def test_form_deactivates_an_account_without_postings(login):
    acc = _account("5394")
    r = login("bendahara").post(f"/buku-besar/akun/{acc.pk}/", {"name": "Beban uji"}, follow=True)
    assert r.status_code == 200
    acc.refresh_from_db()
    assert not acc.is_active
