"""A reversal's reason is written whole into the reversal entry's description (the
books) as well as into the audit. A reason too long for the description is refused,
naming the limit, and nothing is posted; one that fits is kept whole, never cut."""

from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.services import LineSpec, journal_post, journal_reverse

D = Decimal


@pytest.fixture
def entry(in_tenant_a, bendahara, today):
    return journal_post(
        on=today,
        description="salah",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("10")), LineSpec("3106", credit=D("10"))],
    )


def _room(entry) -> int:
    return 500 - len(f"Pembalik {entry}: ")


def test_service_refuses_a_reason_too_long_for_the_description(entry, bendahara, today):
    reason = "r" * 600
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=entry, on=today, reason=reason, by=bendahara)
    assert exc.value.code == "reason_too_long"
    assert f"paling panjang {_room(entry)} karakter" in str(exc.value.message)
    assert "600" in str(exc.value.message)
    assert not JournalEntry.objects.filter(reverses=entry).exists()


def test_reason_that_fits_is_kept_whole_in_the_description(entry, bendahara, today):
    reason = "Salah akun. " + "x" * (_room(entry) - 13) + "Z"
    assert len(reason) == _room(entry)
    rev = journal_reverse(entry=entry, on=today, reason=reason, by=bendahara)
    rev.refresh_from_db()
    assert rev.description == f"Pembalik {entry}: {reason}"


def test_api_refuses_an_over_long_reason_with_the_limit(login, entry, today):
    resp = login("bendahara").post(
        f"/api/v1/ledger/entries/{entry.pk}/reverse/",
        {"date": today.isoformat(), "reason": "a" * 481},
        content_type="application/json",
    )
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "reason_too_long" and "reason" in err["fields"]
    assert f"paling panjang {_room(entry)} karakter" in err["message"]
    assert not JournalEntry.objects.filter(reverses=entry).exists()


def test_form_refuses_an_over_long_reason_with_the_limit(login, entry, today):
    data = {"date": today.isoformat(), "reason": "b" * 481, "confirmed": "1"}
    resp = login("bendahara").post(f"/buku-besar/jurnal/{entry.pk}/", data, follow=True)
    assert resp.status_code == 200
    msgs = [str(m) for m in resp.context["messages"]]
    assert any(f"paling panjang {_room(entry)} karakter" in m for m in msgs), msgs
    assert not JournalEntry.objects.filter(reverses=entry).exists()
