"""An exit settlement reversal's reason of 1,000 characters (what the screen and the API
accept) is kept whole: in the settlement, the member's history, the audit and the
reversal's journal description, whose label names the member (here with a 200-character
name). One longer is refused with its own message before anything changes, never a 500
and never cut."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from core.audit.models import AuditEvent
from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.ledger.models import JournalEntry
from core.members.models import Member, MemberChange
from core.savings.models import ExitSettlement
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.loans.conftest import staff  # noqa: F401
from tests.members import factories as f

REASON = "Salah anggota. " + "y" * 984 + "Z"
assert len(REASON) == 1000


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def settled(in_tenant_a, products, staff, today):  # noqa: F811
    member = f.member(full_name="N" * 200)
    for kind, amount in (("pokok", "100000"), ("wajib", "2400000"), ("sukarela", "900000")):
        acc = savings_account_get_or_open(member=member, product=products[kind], on=today)
        teller_deposit(account=acc, amount=D(amount), channel="bank", on=today, by=staff["petugas"])
    p = exit_settlement_preview(member=member, on=today)
    exit_settlement_confirm(
        member=member, reason="retired", on=today, by=staff["bendahara"], expected_net=p.net_payable
    )
    return member


def _as(client_a, user):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    return c


def _kept_whole(member):
    s = ExitSettlement.objects.get(member=member)
    assert s.reversed_at is not None and s.reversal_reason == REASON
    s.reversal_entry.refresh_from_db()
    assert s.reversal_entry.description.endswith(f"{member.full_name}: {REASON}")
    assert MemberChange.objects.filter(member=member, reason=REASON).exists()
    assert AuditEvent.objects.get(action="member.exit_settlement_reverse").reason == REASON
    assert Member.objects.get(pk=member.pk).status == Member.Status.ACTIVE


def _nothing_changed(member, entries):
    assert Member.objects.get(pk=member.pk).status == Member.Status.RETIRED
    assert not ExitSettlement.objects.filter(reversed_at__isnull=False).exists()
    assert JournalEntry.objects.count() == entries


def test_api_keeps_a_1000_character_reason(client_a, settled, staff):  # noqa: F811
    r = _as(client_a, staff["bendahara"]).post(
        f"/api/v1/members/{settled.pk}/exit-settlement/reverse/",
        {"reason": REASON},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["reversal_reason"] == REASON
    _kept_whole(settled)


def test_api_refuses_1001_characters(client_a, settled, staff):  # noqa: F811
    entries = JournalEntry.objects.count()
    r = _as(client_a, staff["bendahara"]).post(
        f"/api/v1/members/{settled.pk}/exit-settlement/reverse/",
        {"reason": REASON + "!"},
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"].get("reason")
    _nothing_changed(settled, entries)


def test_screen_keeps_a_1000_character_reason(client_a, settled, staff):  # noqa: F811
    c = _as(client_a, staff["bendahara"])
    url = reverse("exits:reverse", args=[settled.pk])
    first = c.post(url, {"reason": REASON})
    assert first.status_code == 200 and REASON in first.content.decode()
    assert c.post(url, {"reason": REASON, "confirmed": "1"}).status_code == 302
    _kept_whole(settled)


@pytest.mark.parametrize("confirmed", [False, True])
def test_screen_refuses_1001_characters_with_the_limit(client_a, settled, staff, confirmed):  # noqa: F811
    entries = JournalEntry.objects.count()
    data = {"reason": REASON + "!", **({"confirmed": "1"} if confirmed else {})}
    r = _as(client_a, staff["bendahara"]).post(
        reverse("exits:reverse", args=[settled.pk]), data, follow=True
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert "paling panjang 1000 karakter" in body and 'name="confirmed"' not in body
    _nothing_changed(settled, entries)
