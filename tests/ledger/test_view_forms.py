"""The ledger's posting screens read their fields through forms: a bad amount, date or
number is a message on the page with the values kept, never a 500, and writes nothing."""

from datetime import timedelta
from decimal import Decimal

from core.ledger.models import Account, JournalEntry, ManualEntryRequest, Period
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post

D = Decimal


def _messages(resp) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in resp.context["messages"]]


def test_manual_entry_bad_rupiah_is_the_field_error_and_values_stay(login, in_tenant_a, today):
    c = login("bendahara")
    before = JournalEntry.objects.count()
    data = {
        "date": today.isoformat(),
        "description": "Bayar listrik",
        "account_0": "5306",
        "debit_0": "1.234,5x",
        "memo_0": "token PLN",
        "account_1": "1101",
        "credit_1": "1.234,50",
    }
    resp = c.post("/buku-besar/jurnal/baru/", data)
    assert resp.status_code == 200
    [(level, text)] = _messages(resp)
    assert level == "error" and text.startswith("Jumlah")
    assert JournalEntry.objects.count() == before
    page = resp.content.decode()
    for value in ("1.234,5x", "1.234,50", "token PLN", "Bayar listrik", today.isoformat()):
        assert f'value="{value}"' in page, value


def test_manual_entry_first_bad_line_is_the_one_shown(login, in_tenant_a, today):
    c = login("bendahara")
    data = {"date": "", "description": "x", "account_0": "5306", "credit_0": "12abc"}
    [(level, first)] = _messages(c.post("/buku-besar/jurnal/baru/", data))
    assert level == "error" and "bukan angka" in first
    data["credit_0"] = "100"
    [(level, text)] = _messages(c.post("/buku-besar/jurnal/baru/", data))
    assert (level, text) == ("error", "Tanggal tidak valid.")


def test_manual_entry_keeps_sen_and_a_blank_form_shows_today(login, in_tenant_a, today):
    c = login("bendahara")
    page = c.get("/buku-besar/jurnal/baru/").content.decode()
    assert f'name="date" value="{today.isoformat()}"' in page
    resp = c.post(
        "/buku-besar/jurnal/baru/",
        {
            "date": today.isoformat(),
            "description": "Bunga bank",
            "account_0": "1101",
            "debit_0": "1.234,56",
            "account_1": "4101",
            "credit_1": "1234,56",
        },
    )
    assert resp.status_code == 302
    e = JournalEntry.objects.latest("id")
    assert e.lines.get(account__code="1101").debit == D("1234.56")


def test_manual_request_reject_needs_a_reason(login, in_tenant_a, bendahara, today):
    from core.ledger.models import LedgerSettings

    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": True})
    data = {
        "date": today.isoformat(),
        "description": "Beli ATK",
        "account_0": "5302",
        "debit_0": "300000",
        "account_1": "1101",
        "credit_1": "300000",
    }
    assert login("bendahara").post("/buku-besar/jurnal/baru/", data).status_code == 302
    req = ManualEntryRequest.objects.get(status="pending")
    ketua = login("ketua")
    url = f"/buku-besar/jurnal/permintaan/{req.pk}/"
    resp = ketua.post(url, {"action": "reject", "reason": "  "}, follow=True)
    assert resp.redirect_chain[-1][0] == "/buku-besar/jurnal/"
    assert _messages(resp) == [("error", "Alasan penolakan wajib diisi.")]
    req.refresh_from_db()
    assert req.status == "pending"
    resp = ketua.post(url, {"action": "reject", "reason": "dobel"}, follow=True)
    assert _messages(resp) == [("success", "Permintaan ditolak.")]
    req.refresh_from_db()
    assert req.status == "rejected"


def test_periods_bad_numbers_are_a_message_not_a_500(login, in_tenant_a, today):
    prev_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    fiscal_year_ensure(year=prev_month.year)
    c = login("bendahara")
    for data in (
        {"action": "close", "period": "abc"},
        {"action": "close", "period": "abc", "confirmed": "1"},
        {"action": "close_year", "year": "1x"},
        {"action": "open_year", "year_number": "dua ribu"},
    ):
        resp = c.post("/buku-besar/periode/", data, follow=True)
        assert resp.status_code == 200, data
        assert _messages(resp) == [("error", "Tahun tidak valid.")], data
    assert c.post("/buku-besar/periode/", {"action": "close"}).status_code == 404
    assert not Period.objects.filter(status="closed").exists()


def test_periods_service_refusal_is_the_message(login, in_tenant_a, today):
    resp = login("bendahara").post(
        "/buku-besar/periode/", {"action": "open_year", "year_number": today.year + 1}, follow=True
    )
    [(level, text)] = _messages(resp)
    assert level == "error" and "masa depan" in text


def test_account_delete_refused_when_it_has_postings(login, in_tenant_a, bendahara, today):
    acc = Account.objects.create(code="1196", name="Kas titipan", type="asset", normal_side="debit")
    journal_post(
        on=today,
        description="Titipan",
        by=bendahara,
        lines=[LineSpec("1196", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
    )
    c = login("bendahara")
    resp = c.post(f"/buku-besar/akun/{acc.pk}/", {"action": "delete"}, follow=True)
    assert resp.redirect_chain[-1][0] == f"/buku-besar/akun/{acc.pk}/"
    [(level, _text)] = _messages(resp)
    assert level == "error"
    assert Account.objects.filter(pk=acc.pk).exists()
    empty = Account.objects.create(code="1195", name="Kosong", type="asset", normal_side="debit")
    resp = c.post(f"/buku-besar/akun/{empty.pk}/", {"action": "delete"}, follow=True)
    assert _messages(resp) == [("success", "Akun dihapus.")]
    assert not Account.objects.filter(pk=empty.pk).exists()
