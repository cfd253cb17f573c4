"""The chart-of-accounts screens read their fields through forms: a good request adds
or edits the account, a malformed one is a message on the page (never a 500)."""

from core.ledger.models import Account


def _group(type_: str) -> Account:
    return Account.objects.filter(is_group=True, type=type_).order_by("code").first()


def test_account_added_under_a_group(login):
    c = login("bendahara")
    parent = _group("asset")
    r = c.post(
        "/buku-besar/akun/",
        {
            "code": "1199",
            "name": "Kas kecil cabang",
            "type": "asset",
            "parent": parent.pk,
            "is_cash": "on",
        },
        follow=True,
    )
    assert r.status_code == 200
    acc = Account.objects.get(code="1199")
    assert acc.parent == parent and acc.is_cash and not acc.is_group
    assert acc.cash_flow == Account.CashFlow.OPERATING


def test_malformed_parent_or_type_is_a_message_not_a_500(login):
    c = login("bendahara")
    for bad in ({"parent": "abc"}, {"parent": "999999"}, {"type": "nope"}):
        data = {"code": "1198", "name": "X", "type": "asset", **bad}
        r = c.post("/buku-besar/akun/", data, follow=True)
        assert r.status_code == 200, bad
        assert not Account.objects.filter(code="1198").exists()
        assert r.context["messages"] and list(r.context["messages"])[0].level_tag == "error"


def test_service_rules_still_shown(login):
    c = login("bendahara")
    r = c.post("/buku-besar/akun/", {"code": "ab", "name": "X", "type": "asset"}, follow=True)
    assert "Kode akun wajib diisi dan hanya berisi angka." in r.content.decode()


def test_account_edited_and_bad_type_refused(login):
    c = login("bendahara")
    acc = Account.objects.create(code="1197", name="Lama", type="asset", normal_side="debit")
    r = c.post(f"/buku-besar/akun/{acc.pk}/", {"name": "Baru", "is_active": "on"}, follow=True)
    assert r.status_code == 200
    acc.refresh_from_db()
    assert acc.name == "Baru" and acc.is_active and acc.type == "asset"
    r = c.post(f"/buku-besar/akun/{acc.pk}/", {"name": "Lagi", "type": "nope"}, follow=True)
    assert r.status_code == 200
    acc.refresh_from_db()
    assert acc.name == "Baru"
    r = c.post(f"/buku-besar/akun/{acc.pk}/", {"name": "Tanpa status"}, follow=True)
    acc.refresh_from_db()
    assert acc.name == "Tanpa status" and not acc.is_active


def test_year_opened_and_settings_saved_through_forms(login):
    from core.ledger.models import FiscalYear, LedgerSettings

    c = login("admin")
    r = c.post("/buku-besar/periode/", {"action": "open_year", "year_number": "abc"}, follow=True)
    assert "Tahun tidak valid." in r.content.decode()
    year = FiscalYear.objects.order_by("year").first().year - 1  # the one before the books
    r = c.post("/buku-besar/periode/", {"action": "open_year", "year_number": str(year)})
    assert r.status_code == 302 and FiscalYear.objects.filter(year=year).exists()
    before = LedgerSettings.get().capital_savings_as
    r = c.post(
        "/buku-besar/periode/",
        {"action": "settings", "capital_savings_as": "nope", "manual_entry_approval": "on"},
        follow=True,
    )
    assert [m.level_tag for m in r.context["messages"]][-1] == "error"
    assert LedgerSettings.get().capital_savings_as == before
    assert not LedgerSettings.get().manual_entry_approval
    r = c.post("/buku-besar/periode/", {"action": "settings", "manual_entry_approval": "on"})
    assert r.status_code == 302 and LedgerSettings.get().manual_entry_approval
