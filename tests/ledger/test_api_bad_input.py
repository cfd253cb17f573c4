"""The ledger API with input beyond its columns or naming what does not exist: a 400
naming the field (for a journal line, the line), nothing written, never a 500."""

import json

import pytest

from core.ledger.models import Account, JournalEntry, JournalLine
from tests.members import factories as f


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def api(login):
    c = login("bendahara")
    c.raise_request_exception = False
    return c


def _send(api, method, url, body):
    return getattr(api, method)(url, json.dumps(body), content_type="application/json")


def _fields(r):
    assert r.status_code == 400, (r.status_code, r.content[:300])
    err = r.json()["error"]
    assert set(err) == {"code", "message", "fields"}
    return err["fields"]


def _entry(today, member_id, description="Koreksi piutang anggota"):
    return {
        "date": today.isoformat(),
        "description": description,
        "lines": [
            {"account": "1101", "debit": "1000"},
            {"account": "3106", "credit": "1000", "member_id": member_id},
        ],
    }


def test_account_rename_longer_than_the_column_is_refused(api):
    acc = Account.objects.get(code="1101")
    url = f"/api/v1/ledger/accounts/{acc.pk}/"
    assert list(_fields(_send(api, "patch", url, {"name": "x" * 201}))) == ["name"]
    assert Account.objects.get(pk=acc.pk).name == "Kas"
    r = _send(api, "patch", url, {"name": "K" * 200})
    assert r.status_code == 200 and r.json()["name"] == "K" * 200


@pytest.mark.parametrize("member_id", [10**20, 2**63, 0, -1])
def test_entry_line_member_id_that_cannot_be_an_id_is_refused(api, today, member_id):
    before = JournalEntry.objects.count()
    fields = _fields(_send(api, "post", "/api/v1/ledger/entries/", _entry(today, member_id)))
    assert list(fields) == ["lines"] and list(fields["lines"]) == ["1"]  # the second line
    assert list(fields["lines"]["1"]) == ["member_id"]
    assert JournalEntry.objects.count() == before


def test_entry_line_naming_a_member_not_in_this_cooperative_is_refused(api, today):
    m = f.member()
    missing = m.pk + 1000
    before = JournalEntry.objects.count()
    fields = _fields(_send(api, "post", "/api/v1/ledger/entries/", _entry(today, missing)))
    assert fields == {
        "lines": {"1": {"member_id": [f"Tidak ada anggota dengan id {missing} di koperasi ini."]}}
    }
    assert JournalEntry.objects.count() == before


def test_entry_line_naming_a_member_is_posted_on_that_member(api, today):
    m = f.member()
    r = _send(api, "post", "/api/v1/ledger/entries/", _entry(today, m.pk))
    assert r.status_code == 201, r.content
    assert JournalLine.objects.get(entry_id=r.json()["id"], member_id=m.pk).credit == 1000


def test_entry_description_longer_than_the_column_is_refused(api, today):
    before = JournalEntry.objects.count()
    body = _entry(today, None, description="x" * 501)
    assert list(_fields(_send(api, "post", "/api/v1/ledger/entries/", body))) == ["description"]
    assert JournalEntry.objects.count() == before
