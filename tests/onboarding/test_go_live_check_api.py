"""``GET /api/v1/onboarding/go-live-check/``: whether the move-in may go live now
(``ready``) and every refusal the go-live would give (``refusals``: code, message in the
request's language, fields, what to do, where), in the go-live's order; the go-live's
roles (admin, bendahara); it writes nothing. The go-live itself answers the first."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.ledger.services import LineSpec, ledger_settings_update, manual_entry_submit

from .helpers import members_import

URL = "/api/v1/onboarding/go-live-check/"
HOST = "alpha.localhost"


def _client(user, lang: str = "id") -> Client:
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    c.cookies["django_language"] = lang
    return c


@pytest.fixture
def waiting(moved, staff, cutover):
    ledger_settings_update(by=staff["admin"], manual_entry_approval=True)
    return manual_entry_submit(
        on=cutover - timedelta(days=1),
        description="Koreksi kas sebelum pindah",
        lines=[LineSpec("5306", debit=D("50000")), LineSpec("1101", credit=D("50000"))],
        by=staff["bendahara"],
    )


def test_lists_every_refusal_and_the_go_live_answers_the_first(moved, waiting, by):
    audits = AuditEvent.objects.count()
    c = _client(by)
    r = c.get(URL)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["ready"] is False
    refusals = body["refusals"]
    assert [x["code"] for x in refusals] == [
        "onboarding_not_reconciled",
        "onboarding_manual_entry_pending",
    ]
    first, second = refusals
    assert first["message"] == (
        "Buku pembantu belum sama dengan akun kontrolnya; lihat selisih per akun."
    )
    assert {d["account"] for d in first["fields"]["differences"]} == {"3101", "3102", "2101"}
    assert first["todo"] and first["url"] == "/pindah/#rekonsiliasi"
    assert f"#{waiting.pk} " in second["message"]
    assert second["fields"]["requests"] and second["url"] == "/buku-besar/jurnal/"
    assert AuditEvent.objects.count() == audits  # a read
    go = c.post("/api/v1/onboarding/go-live/")
    assert go.status_code == 409
    err = go.json()["error"]
    assert (err["code"], err["message"], err["fields"]) == (
        first["code"],
        first["message"],
        first["fields"],
    )


def test_in_english(moved, by):
    refusals = _client(by, "en").get(URL).json()["refusals"]
    assert refusals[0]["message"] == (
        "The sub-ledgers do not yet equal their control accounts; see the differences per account."
    )
    assert "step 5" in refusals[0]["todo"]


def test_the_trial_balance_not_posted(move_in, by):
    body = _client(by).get(URL).json()
    assert body["ready"] is False
    assert [(x["code"], x["message"]) for x in body["refusals"]] == [
        ("onboarding_wrong_state", "Neraca saldo awal belum diposting.")
    ]
    assert body["refusals"][0]["url"] == "/pindah/#neraca-awal"


def test_ready_then_live(moved, by, cutover):
    members_import(by, cutover)
    c = _client(by)
    assert c.get(URL).json() == {"ready": True, "refusals": []}
    assert c.post("/api/v1/onboarding/go-live/").status_code == 200
    body = c.get(URL).json()
    assert body["ready"] is False
    assert [x["code"] for x in body["refusals"]] == ["onboarding_wrong_state"]


def test_no_move_in_is_404(staff):
    r = _client(staff["bendahara"]).get(URL)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "onboarding_no_move_in"


@pytest.mark.parametrize("role", ["petugas", "pengawas", "ketua"])
def test_only_the_go_lives_roles(move_in, staff, role):
    from tests.members import factories as f

    user = staff.get(role) or f.user(role)
    assert _client(user).get(URL).status_code == 403


def test_admin_may_read_it(move_in, staff):
    assert _client(staff["admin"]).get(URL).status_code == 200
