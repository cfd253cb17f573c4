"""A reversal's reason is written whole into the reversal entry's description (the
books) as well as into the audit. The description holds 2,000 characters: a reason of
1,000 (what the module screens accept) always fits. A longer one (the generic ledger
reversal has no cap of its own) too long for the description is refused,
naming the limit, and nothing is posted; one that fits is kept whole, never cut."""

from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.services import LineSpec, journal_post, journal_reverse
from core.ledger.services.posting import DESCRIPTION_MAX

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
    return DESCRIPTION_MAX - len(f"Pembalik {entry}: ")


def test_service_refuses_a_reason_too_long_for_the_description(entry, bendahara, today):
    reason = "r" * 2100
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=entry, on=today, reason=reason, by=bendahara)
    assert exc.value.code == "reason_too_long"
    assert f"paling panjang {_room(entry)} karakter" in str(exc.value.message)
    assert "2100" in str(exc.value.message)
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
        {"date": today.isoformat(), "reason": "a" * (_room(entry) + 1)},
        content_type="application/json",
    )
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "reason_too_long" and "reason" in err["fields"]
    assert f"paling panjang {_room(entry)} karakter" in err["message"]
    assert not JournalEntry.objects.filter(reverses=entry).exists()


def test_form_refuses_an_over_long_reason_with_the_limit(login, entry, today):
    data = {"date": today.isoformat(), "reason": "b" * (_room(entry) + 1), "confirmed": "1"}
    resp = login("bendahara").post(f"/buku-besar/jurnal/{entry.pk}/", data, follow=True)
    assert resp.status_code == 200
    msgs = [str(m) for m in resp.context["messages"]]
    assert any(f"paling panjang {_room(entry)} karakter" in m for m in msgs), msgs
    assert not JournalEntry.objects.filter(reverses=entry).exists()


def test_the_description_holds_a_whole_1000_character_reason_with_a_label(entry, bendahara, today):
    """What the loans and exits screens accept (1,000 characters) fits with the longest
    label a module puts before it (an exit's names the member: up to 30 + 200)."""
    assert DESCRIPTION_MAX == 2000
    label = "Penyelesaian keluar " + "9" * 30 + " " + "N" * 200
    reason = "Alasan: " + "y" * 991 + "Z"
    assert len(reason) == 1000
    rev = journal_reverse(entry=entry, on=today, reason=f"{label}: {reason}", by=bendahara)
    rev.refresh_from_db()
    assert rev.description == f"Pembalik {entry}: {label}: {reason}"
