"""The manual-entry screen with a description or a line's note longer than its column:
refused with a message on the page (the API refuses them too), never cut short
silently, never a 500 (with approval on, the request row has the same column)."""

import pytest

from core.ledger.models import JournalEntry, JournalLine, LedgerSettings, ManualEntryRequest


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


def _data(today, **over):
    return {
        "date": today.isoformat(),
        "description": "Bayar listrik",
        "account_0": "5306",
        "debit_0": "1.000",
        "memo_0": "token PLN",
        "account_1": "1101",
        "credit_1": "1.000",
        **over,
    }


def _post(login, data):
    c = login("bendahara")
    c.raise_request_exception = False
    return c.post("/buku-besar/jurnal/baru/", data)


@pytest.mark.parametrize("approval", [False, True])
@pytest.mark.parametrize("over", [{"description": "x" * 501}, {"memo_0": "m" * 301}])
def test_text_longer_than_its_column_is_refused_not_cut(login, today, approval, over):
    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": approval})
    entries, lines = JournalEntry.objects.count(), JournalLine.objects.count()
    requests = ManualEntryRequest.objects.count()
    r = _post(login, _data(today, **over))
    assert r.status_code == 200, r.status_code
    assert [m.level_tag for m in r.context["messages"]] == ["error"]
    assert JournalEntry.objects.count() == entries and JournalLine.objects.count() == lines
    assert ManualEntryRequest.objects.count() == requests


@pytest.mark.parametrize("approval", [False, True])
def test_text_of_exactly_the_column_length_is_kept_whole(login, today, approval):
    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": approval})
    r = _post(login, _data(today, description="x" * 500, memo_0="m" * 300))
    assert r.status_code == 302, r.status_code
    if approval:
        req = ManualEntryRequest.objects.latest("pk")
        assert req.description == "x" * 500 and req.lines[0]["memo"] == "m" * 300
    else:
        e = JournalEntry.objects.latest("pk")
        assert e.description == "x" * 500
        assert e.lines.order_by("id")[0].memo == "m" * 300
