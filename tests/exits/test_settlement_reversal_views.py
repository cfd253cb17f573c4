"""The exit settlement reversal on the exit-done screen (reason, confirmation page, then
the reversal) and through ``POST /api/v1/members/<id>/exit-settlement/reverse/``: role
checks, refusals (nothing to reverse, reversed already) and the books restored."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.members.models import Member
from core.savings.models import ExitSettlement
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.loans.conftest import member, staff  # noqa: F401


@pytest.fixture
def settled(products, member, staff, today):  # noqa: F811
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


def _status(m):
    return Member.objects.get(pk=m.pk).status


def test_screen_offers_reversal_to_treasury_only(client_a, settled, staff):  # noqa: F811
    url = reverse("exits:settle", args=[settled.pk])
    page = _as(client_a, staff["bendahara"]).get(url)
    assert page.status_code == 200 and reverse("exits:reverse", args=[settled.pk]) in (
        page.content.decode()
    )
    page = _as(client_a, staff["petugas"]).get(url)
    assert page.status_code == 200
    assert reverse("exits:reverse", args=[settled.pk]) not in page.content.decode()


def test_screen_reversal_confirms_first_then_reverses(client_a, settled, staff):  # noqa: F811
    c = _as(client_a, staff["bendahara"])
    url = reverse("exits:reverse", args=[settled.pk])
    first = c.post(url, {"reason": "salah anggota"})
    assert first.status_code == 200
    body = first.content.decode()
    assert 'name="confirmed"' in body and "salah anggota" in body
    assert _status(settled) == Member.Status.RETIRED
    done = c.post(url, {"reason": "salah anggota", "confirmed": "1"})
    assert done.status_code == 302
    assert _status(settled) == Member.Status.ACTIVE
    s = ExitSettlement.objects.get(member=settled)
    assert s.reversed_at is not None and s.reversal_reason == "salah anggota"
    # nothing left to reverse: an error message, nothing changed
    again = c.post(url, {"reason": "lagi", "confirmed": "1"}, follow=True)
    assert "tidak memiliki penyelesaian keluar" in again.content.decode()
    assert ExitSettlement.objects.filter(reversed_at__isnull=False).count() == 1


def test_screen_reversal_needs_a_reason_and_treasury(client_a, settled, staff):  # noqa: F811
    url = reverse("exits:reverse", args=[settled.pk])
    c = _as(client_a, staff["bendahara"])
    r = c.post(url, {"reason": "  ", "confirmed": "1"}, follow=True)
    assert "Alasan pembatalan wajib diisi" in r.content.decode()
    for role in ("petugas", "ketua", "pengawas"):
        r = _as(client_a, staff[role]).post(url, {"reason": "x", "confirmed": "1"})
        assert r.status_code == 403
    assert _as(client_a, staff["bendahara"]).get(url).status_code == 404
    assert _status(settled) == Member.Status.RETIRED


def test_api_reverse(client_a, settled, staff):  # noqa: F811
    url = f"/api/v1/members/{settled.pk}/exit-settlement/reverse/"
    c = _as(client_a, staff["admin"])
    r = c.post(url, {"reason": "salah"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["reversal_reason"] == "salah" and r.json()["reversed_at"]
    assert _status(settled) == Member.Status.ACTIVE
    r = c.post(url, {"reason": "salah"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "exit_not_settled"


def test_api_refusals(client_a, settled, staff):  # noqa: F811
    url = f"/api/v1/members/{settled.pk}/exit-settlement/reverse/"
    for role in ("petugas", "ketua", "pengawas"):
        r = _as(client_a, staff[role]).post(url, {"reason": "x"}, content_type="application/json")
        assert r.status_code == 403 and "error" in r.json()
    c = _as(client_a, staff["bendahara"])
    for body in ({}, {"reason": ""}, None, [], "x"):
        r = c.post(url, body, content_type="application/json")
        assert r.status_code == 400 and "error" in r.json(), (body, r.content)
    r = c.post(
        "/api/v1/members/99999999/exit-settlement/reverse/",
        {"reason": "x"},
        content_type="application/json",
    )
    assert r.status_code == 404 and "error" in r.json()
    assert _status(settled) == Member.Status.RETIRED


def test_settled_screen_shows_each_account_paid_back(client_a, settled, staff):  # noqa: F811
    """The settlement page the treasurer prints for the retiree lists what was paid back
    per account (pokok, wajib, sukarela), not only the total."""
    body = _as(client_a, staff["bendahara"]).get(reverse("exits:settle", args=[settled.pk]))
    body = body.content.decode()
    s = ExitSettlement.objects.get(member=settled)
    for acc in s.details["accounts"]:
        assert acc["number"] in body
    for amount in ("Rp 100.000", "Rp 2.400.000", "Rp 900.000", "Rp 3.400.000"):
        assert amount in body
