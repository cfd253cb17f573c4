"""The manual-journal form sent twice (a double click, a POST resent after a slow
answer) posts one entry (or, with approval on, one request): the second sending is
refused with a message and writes nothing."""

import re

import pytest

from core.ledger.models import JournalEntry, LedgerSettings, ManualEntryRequest


def _key(html: str) -> str:
    m = re.search(r'name="submission" value="([0-9a-f]+)"', html)
    assert m, "the form carries its one-time submission key"
    return m.group(1)


@pytest.mark.parametrize("approval", [False, True])
def test_the_same_manual_entry_sent_twice_is_posted_once(login, today, approval):
    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": approval})
    c = login("bendahara")
    data = {
        "date": today.isoformat(),
        "description": "Bayar listrik Desember",
        "account_0": "5306",
        "debit_0": "1.234.567",
        "account_1": "1101",
        "credit_1": "1.234.567",
        "submission": _key(c.get("/buku-besar/jurnal/baru/").content.decode()),
    }
    entries, requests = JournalEntry.objects.count(), ManualEntryRequest.objects.count()
    assert c.post("/buku-besar/jurnal/baru/", data).status_code == 302
    r = c.post("/buku-besar/jurnal/baru/", data, follow=True)
    assert "sudah dikirim" in r.content.decode()
    made = (JournalEntry.objects.count() - entries, ManualEntryRequest.objects.count() - requests)
    assert made == ((0, 1) if approval else (1, 0))


def test_a_form_shown_again_after_an_error_can_be_sent(login, today):
    c = login("bendahara")
    data = {
        "date": today.isoformat(),
        "description": "Bayar listrik",
        "account_0": "5306",
        "debit_0": "1.000",
        "account_1": "1101",
        "credit_1": "999",  # unbalanced
        "submission": _key(c.get("/buku-besar/jurnal/baru/").content.decode()),
    }
    r = c.post("/buku-besar/jurnal/baru/", data)
    assert r.status_code == 200 and "tidak seimbang" in r.content.decode()
    before = JournalEntry.objects.count()
    fixed = data | {"credit_1": "1.000", "submission": _key(r.content.decode())}
    assert c.post("/buku-besar/jurnal/baru/", fixed).status_code == 302
    assert JournalEntry.objects.count() == before + 1
