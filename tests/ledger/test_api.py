"""REST API: shapes, error format, permissions per role."""

from decimal import Decimal

import pytest

from core.ledger.models import Account
from core.ledger.services import LineSpec, journal_post

D = Decimal


def _entry_payload(today, debit="1000", credit="1000"):
    return {
        "date": today.isoformat(),
        "description": "Setoran modal",
        "lines": [
            {"account": "1101", "debit": debit},
            {"account": "3106", "credit": credit},
        ],
    }


def test_create_manual_entry_and_read_it_back(login, today):
    c = login("bendahara")
    resp = c.post("/api/v1/ledger/entries/", _entry_payload(today), content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["number"].startswith(f"JU-{today.year}-")
    assert body["lines"][0] == {
        "account": "1101",
        "account_name": "Kas",
        "debit": "1000.00",
        "credit": "0.00",
        "member_id": None,
        "memo": "",
    }
    listed = c.get("/api/v1/ledger/entries/?account=1101").json()
    assert listed["count"] >= 1 and listed["results"][0]["id"] == body["id"]


def test_error_shape_for_unbalanced_entry(login, today):
    resp = login("bendahara").post(
        "/api/v1/ledger/entries/",
        _entry_payload(today, credit="999"),
        content_type="application/json",
    )
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "entry_unbalanced"
    assert "tidak seimbang" in err["message"]
    assert set(err) == {"code", "message", "fields"}


def test_error_shape_for_unknown_account_and_bad_input(login, today):
    c = login("bendahara")
    payload = _entry_payload(today)
    payload["lines"][0]["account"] = "9999"
    err = c.post("/api/v1/ledger/entries/", payload, content_type="application/json").json()[
        "error"
    ]
    assert err["code"] == "unknown_account" and "1" in err["fields"]["lines"]
    bad = c.post("/api/v1/ledger/entries/", {"date": "kemarin"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    assert "date" in bad.json()["error"]["fields"]


@pytest.mark.parametrize(
    "role,status",
    [
        ("admin", 201),
        ("bendahara", 201),
        ("ketua", 403),
        ("petugas", 403),
        ("pengawas", 403),
        ("anggota", 403),
    ],
)
def test_who_may_post(login, today, role, status):
    resp = login(role).post(
        "/api/v1/ledger/entries/", _entry_payload(today), content_type="application/json"
    )
    assert resp.status_code == status


@pytest.mark.parametrize("role,status", [("pengawas", 200), ("petugas", 200), ("anggota", 403)])
def test_who_may_read_reports(login, role, status):
    assert login(role).get("/api/v1/ledger/reports/balance-sheet/").status_code == status


def test_reverse_via_api(login, bendahara, today):
    e = journal_post(
        on=today,
        description="salah",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("10")), LineSpec("3106", credit=D("10"))],
    )
    c = login("bendahara")
    url = f"/api/v1/ledger/entries/{e.pk}/reverse/"
    resp = c.post(
        url, {"date": today.isoformat(), "reason": "salah akun"}, content_type="application/json"
    )
    assert resp.status_code == 201 and resp.json()["reverses"] == e.pk
    again = c.post(
        url, {"date": today.isoformat(), "reason": "lagi"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reversed"
    assert (
        login("pengawas")
        .post(url, {"date": today.isoformat(), "reason": "x"}, content_type="application/json")
        .status_code
        == 403
    )


def test_reports_as_json(login, bendahara, today):
    journal_post(
        on=today,
        description="modal",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("2500.50")), LineSpec("3106", credit=D("2500.50"))],
    )
    c = login("pengawas")
    q = f"?date_from={today.replace(day=1).isoformat()}&date_to={today.isoformat()}"
    for name in [
        "trial-balance",
        "balance-sheet",
        "income-statement",
        "equity-changes",
        "cash-flow",
    ]:
        resp = c.get(f"/api/v1/ledger/reports/{name}/{q}")
        assert resp.status_code == 200, name
    tb = c.get(f"/api/v1/ledger/reports/trial-balance/{q}").json()
    assert tb["balanced"] is True and tb["as_of"] == today.isoformat()
    assert isinstance(tb["total_debit"], str)  # exact decimals, never floats
    bs = c.get(f"/api/v1/ledger/reports/balance-sheet/{q}").json()
    assert bs["balanced"] is True
    cash = Account.objects.get(code="1101")
    gl = c.get(f"/api/v1/ledger/reports/general-ledger/{cash.pk}/{q}").json()
    assert gl["rows"][-1]["balance"] == gl["closing"]
    assert c.get("/api/v1/ledger/reports/trial-balance/?date_to=xx").status_code == 400


def test_accounts_api_and_postings_rule(login, bendahara, today):
    c = login("bendahara")
    accs = c.get("/api/v1/ledger/accounts/").json()
    assert any(a["code"] == "1101" and a["is_cash"] for a in accs)
    group = Account.objects.get(code="53")
    made = c.post(
        "/api/v1/ledger/accounts/",
        {"code": "5307", "name": "Beban Transport", "type": "expense", "parent": group.pk},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["normal_side"] == "debit"
    journal_post(
        on=today,
        description="transport",
        by=bendahara,
        lines=[LineSpec("5307", debit=D("10")), LineSpec("1101", credit=D("10"))],
    )
    pk = made.json()["id"]
    bad = c.patch(
        f"/api/v1/ledger/accounts/{pk}/", {"type": "asset"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "account_has_postings"
    # Still holding Rp 10: deactivating is refused, naming the balance, and nothing changes.
    held = c.patch(
        f"/api/v1/ledger/accounts/{pk}/",
        {"name": "Beban Perjalanan", "is_active": False},
        content_type="application/json",
    )
    assert held.status_code == 400 and held.json()["error"]["code"] == "account_has_balance"
    assert "Rp 10;" in held.json()["error"]["message"]
    assert (
        Account.objects.get(pk=pk).is_active
        and Account.objects.get(pk=pk).name != "Beban Perjalanan"
    )
    journal_post(
        on=today,
        description="transport dipindah",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("10")), LineSpec("5307", credit=D("10"))],
    )
    ok = c.patch(
        f"/api/v1/ledger/accounts/{pk}/",
        {"name": "Beban Perjalanan", "is_active": False},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["is_active"] is False
    dup = c.post(
        "/api/v1/ledger/accounts/",
        {"code": "5307", "name": "x", "type": "expense"},
        content_type="application/json",
    )
    assert dup.status_code == 400 and "code" in dup.json()["error"]["fields"]


def test_period_api_reopen_is_admin_only(login, in_tenant_a, today):
    from datetime import timedelta

    from core.ledger.models import Period
    from core.ledger.services import fiscal_year_ensure

    prev = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    fiscal_year_ensure(year=prev.year)
    p = Period.objects.get(start_date=prev)
    assert login("bendahara").post(f"/api/v1/ledger/periods/{p.pk}/close/").status_code == 200
    r = login("bendahara").post(
        f"/api/v1/ledger/periods/{p.pk}/reopen/", {"reason": "x"}, content_type="application/json"
    )
    assert r.status_code == 403
    r = login("admin").post(
        f"/api/v1/ledger/periods/{p.pk}/reopen/",
        {"reason": "koreksi"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "open"


def test_openapi_schema_lists_ledger_endpoints(login):
    resp = login("admin").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    text = resp.content.decode()
    for path in [
        "/api/v1/ledger/entries/",
        "/api/v1/ledger/reports/balance-sheet/",
        "/api/v1/ledger/accounts/",
    ]:
        assert path in text


def test_entries_list_reads_a_range_typed_backwards_as_meant(login, bendahara, today):
    from datetime import timedelta

    from core.ledger.services import fiscal_year_ensure

    fiscal_year_ensure(year=today.year - 1)
    days = [today - timedelta(days=n) for n in (40, 20, 0)]
    ids = [
        journal_post(
            on=d,
            description="modal",
            by=bendahara,
            lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
        ).pk
        for d in days
    ]
    c = login("pengawas")
    url = "/api/v1/ledger/entries/"
    back = {"date_from": days[2].isoformat(), "date_to": (today - timedelta(days=30)).isoformat()}
    assert [e["id"] for e in c.get(url, back).json()["results"]] == [ids[1], ids[2]][::-1]
    r = c.get(url, {"date_from": "2026/01/01"})
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["date_from"]
