# ruff: noqa: F811, F401
"""The exit settlement through the API, as the exit screen does it
(``/api/v1/members/<id>/exit-settlement/``): ``GET preview/?on=`` gives the screen's
figures and the refusals confirming would meet; ``POST confirm/`` settles an active
member's exit, ``POST left-open/confirm/`` what a member who left still holds open.
Same roles as the screen; every refusal in the one error shape with its own code,
nothing written; a second confirmation refused, nothing posted twice."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.test import Client
from django.urls import reverse

from core.common.money import format_rupiah
from core.exits.services import exit_settlement_preview
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.loans.models import Loan
from core.members.models import Member
from core.members.services import heir_add
from core.savings.models import ExitSettlement, SavingsAccount, SavingsTransaction
from core.savings.services import (
    savings_account_freeze,
    savings_account_get_or_open,
    teller_deposit,
)
from tests.loans.conftest import _media, make_loan, member, product, staff
from tests.members import factories as f
from tests.savings.conftest import assert_reconciled

D = Decimal
SAVED = {"pokok": D("100000"), "wajib": D("1200000"), "sukarela": D("12000000")}


@pytest.fixture
def saved(products, member, staff, today):
    """Savings deposited 40 days ago (the jasa simpanan the products bear is credited as
    the screen shows it), and an unpaid SHU share of 250,000."""
    on = today - timedelta(days=40)
    if (today - timedelta(days=60)).year < today.year:  # early in the year: last year open
        from core.ledger.services import fiscal_year_ensure

        fiscal_year_ensure(year=today.year - 1)
    for kind, amount in SAVED.items():
        acc = savings_account_get_or_open(member=member, product=products[kind], on=on)
        teller_deposit(account=acc, amount=amount, channel="cash", on=on, by=staff["petugas"])
    journal_post(
        on=today,
        description="SHU bagian anggota (uji)",
        source="shu",
        source_ref=f"uji:api:{uuid4().hex}",
        lines=[
            LineSpec(account_for_role("shu_current_year"), debit=D("250000")),
            LineSpec(
                account_for_role("shu_members_payable"), credit=D("250000"), member_id=member.pk
            ),
        ],
        by=staff["bendahara"],
    )
    return member


def _as(client_a, user) -> Client:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    return c


def _url(m, what: str) -> str:
    return f"/api/v1/members/{m.pk}/exit-settlement/{what}/"


def _state(m):
    """What a settlement writes: nothing of it may appear after a refusal."""
    return (
        Member.objects.get(pk=m.pk).status,
        sorted(SavingsAccount.objects.filter(member=m).values_list("number", "status", "balance")),
        SavingsTransaction.objects.count(),
        JournalEntry.objects.count(),
        ExitSettlement.objects.count(),
        list(Loan.objects.filter(member=m).values_list("status", flat=True)),
    )


def _refused(r, code: str, status: int = 400):
    body = r.json()
    assert r.status_code == status, (code, r.status_code, body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


# --- preview -----------------------------------------------------------------------


def test_preview_gives_the_screens_figures(client_a, saved, staff, today, make_loan):
    loan = make_loan(principal=D("5000000"), days_ago=20)
    r = _as(client_a, staff["petugas"]).get(_url(saved, "preview"), {"on": today.isoformat()})
    assert r.status_code == 200, r.content
    got = r.json()
    p = exit_settlement_preview(member=saved, on=today)
    assert got["member"] == saved.pk and got["on"] == today.isoformat()
    assert got["left_open"] is False and got["can_confirm"] is True and got["refusals"] == []
    # per account (kind, balance, the jasa the settlement credits it, paid out)
    jasa = {}
    for x in p.interest:
        jasa[x["account"]] = jasa.get(x["account"], D(0)) + x["net"]
    assert [
        (a["number"], a["kind"], D(a["balance"]), D(a["interest"])) for a in got["accounts"]
    ] == [(a.number, a.product.kind, a.balance, jasa.get(a.number, D(0))) for a in p.accounts]
    assert {a["kind"] for a in got["accounts"]} == {"pokok", "wajib", "sukarela"}
    for a in got["accounts"]:
        assert D(a["payable"]) == D(a["balance"]) + D(a["interest"])
    assert [(x["label"], D(x["net"])) for x in got["interest"]] == [
        (x["label"], x["net"]) for x in p.interest
    ]
    assert D(got["savings_total"]) == p.savings_total == sum(SAVED.values()) + D("50000")
    assert D(got["interest_total"]) == p.interest_total
    assert D(got["shu_unpaid"]) == p.shu_unpaid == D("250000")
    assert [(x["label"], D(x["amount"])) for x in got["loans"]] == [
        (x["label"], x["amount"]) for x in p.loans
    ]
    assert loan.number in got["loans"][0]["label"]
    assert D(got["loans_outstanding"]) == p.loans_outstanding >= D("5000000")
    assert (
        D(got["net_payable"])
        == p.net_payable
        == (p.savings_total + p.interest_total + D("250000") - p.loans_outstanding)
    )
    assert D(got["net_payable_loans_waived"]) == p.net(waive_loans=True)
    assert D(got["owed"]) == 0
    # the same figures on the screen, for the same date
    page = _as(client_a, staff["petugas"]).get(
        reverse("exits:settle", args=[saved.pk]), {"on": today.isoformat()}
    )
    html = page.content.decode()
    for figure in (
        got["savings_total"],
        got["shu_unpaid"],
        got["loans_outstanding"],
        got["net_payable"],
        *(a["balance"] for a in got["accounts"]),
        *(x["net"] for x in got["interest"]),
        *(x["amount"] for x in got["loans"]),
    ):
        assert format_rupiah(D(figure)) in html, figure


def test_preview_needs_a_good_date(client_a, saved, staff, today):
    c = _as(client_a, staff["bendahara"])
    for params in ({}, {"on": ""}, {"on": "kemarin"}, {"on": "2026-02-30"}, {"on": "12/01/2026"}):
        err = _refused(c.get(_url(saved, "preview"), params), "validation_error")
        assert list(err["fields"]) == ["on"], params
    err = _refused(c.get(_url(saved, "preview"), {"on": "1900-01-01"}), "date_out_of_range")
    assert list(err["fields"]) == ["on"]
    r = c.get("/api/v1/members/99999999/exit-settlement/preview/", {"on": str(today)})
    assert r.status_code == 404 and r.json()["error"]["code"]


def test_preview_names_each_refusal_confirming_would_meet(client_a, saved, staff, today, make_loan):
    c = _as(client_a, staff["pengawas"])
    wajib = SavingsAccount.objects.get(member=saved, product__kind="wajib")
    savings_account_freeze(account=wajib, reason="sengketa ahli waris", by=staff["bendahara"])
    make_loan(principal=D("20000000"), days_ago=20)
    got = c.get(_url(saved, "preview"), {"on": today.isoformat()}).json()
    codes = [x["code"] for x in got["refusals"]]
    assert codes == ["savings_account_frozen", "settlement_loans_exceed_savings"], got
    assert wajib.number in got["refusals"][0]["message"]
    assert got["can_confirm"] is False
    assert D(got["owed"]) == -D(got["net_payable"]) > 0
    assert [a["frozen"] for a in got["accounts"] if a["kind"] == "wajib"] == [True]
    later = c.get(_url(saved, "preview"), {"on": (today + timedelta(days=5)).isoformat()})
    assert "future_date" in [x["code"] for x in later.json()["refusals"]]
    before = c.get(_url(saved, "preview"), {"on": (today - timedelta(days=30)).isoformat()})
    assert "settlement_bad_date" in [x["code"] for x in before.json()["refusals"]]


# --- confirm -------------------------------------------------------------------------


def _body(p, **kw) -> dict:
    return {
        "on": p.on.isoformat(),
        "reason": "retired",
        "channel": "bank",
        # typed as people write rupiah
        "expected_net": f"{int(p.net_payable):,}".replace(",", "."),
    } | kw


def test_confirm_settles_the_exit_as_the_screen_does(client_a, saved, staff, today, make_loan):
    make_loan(principal=D("5000000"), days_ago=20)
    c = _as(client_a, staff["ketua"])
    shown = c.get(_url(saved, "preview"), {"on": today.isoformat()}).json()
    p = exit_settlement_preview(member=saved, on=today)
    r = c.post(_url(saved, "confirm"), _body(p), content_type="application/json")
    assert r.status_code == 201, r.content
    s = r.json()
    assert D(s["net_payable"]) == D(shown["net_payable"]) == p.net_payable
    assert D(s["savings_total"]) == D(shown["savings_total"])
    assert D(s["loans_outstanding"]) == D(shown["loans_outstanding"])
    assert D(s["shu_unpaid"]) == D("250000")
    assert (s["reason"], s["on"], s["channel"], s["payee"], s["left_open"]) == (
        "retired",
        today.isoformat(),
        "bank",
        "member",
        False,
    )
    m = Member.objects.get(pk=saved.pk)
    assert (m.status, m.exit_date) == ("retired", today)
    assert set(SavingsAccount.objects.filter(member=m).values_list("status", "balance")) == {
        ("closed", D(0))
    }
    assert set(Loan.objects.filter(member=m).values_list("status", flat=True)) == {"closed"}
    lines = JournalLine.objects.filter(
        entry_id=ExitSettlement.objects.get(pk=s["id"]).journal_entry_id
    )
    assert sum(x.debit for x in lines) == sum(x.credit for x in lines) > 0
    assert_reconciled()
    # confirmed again (a retry of the HR system): refused, nothing posted twice
    after = _state(saved)
    again = c.post(_url(saved, "confirm"), _body(p), content_type="application/json")
    _refused(again, "settlement_member_not_active", 409)
    left_open = c.post(_url(saved, "left-open/confirm"), _body(p), content_type="application/json")
    _refused(left_open, "settlement_nothing_left_open", 409)
    assert _state(saved) == after
    assert ExitSettlement.objects.filter(member=saved).count() == 1


def test_confirm_refusals_each_have_their_code_and_write_nothing(client_a, saved, staff, today):
    c = _as(client_a, staff["bendahara"])
    p = exit_settlement_preview(member=saved, on=today)
    url = _url(saved, "confirm")
    before = _state(saved)
    cases = [
        (_body(p, reason="fired"), "settlement_bad_reason", 400),
        (_body(p, reason="active"), "settlement_bad_reason", 400),
        (_body(p, payee="heirs"), "settlement_bad_payee", 400),
        (_body(p, payee="bank"), "settlement_bad_payee", 400),
        (_body(p, reason="deceased", payee="heirs"), "settlement_bad_payee", 400),
        (_body(p, waive_loans=True, waiver_reason="x"), "settlement_bad_waiver", 400),
        (_body(p, reason="deceased", waive_loans=True), "settlement_bad_waiver", 400),
        (_body(p, expected_net="1.000"), "settlement_changed", 400),
        (_body(p, channel="cek"), "savings_bad_channel", 400),
        (_body(p, on=(today + timedelta(days=3)).isoformat()), "future_date", 400),
        (_body(p, on=(today - timedelta(days=60)).isoformat()), "settlement_bad_date", 400),
        (_body(p, on="1900-01-01"), "date_out_of_range", 400),
        (_body(p, on="31-12-2026"), "validation_error", 400),
        (_body(p, expected_net="dua juta"), "validation_error", 400),
        ({k: v for k, v in _body(p).items() if k != "expected_net"}, "validation_error", 400),
        ({k: v for k, v in _body(p).items() if k != "reason"}, "validation_error", 400),
        ([], "validation_error", 400),
        ("x", "parse_error", 400),
    ]
    for body, code, status in cases:
        r = c.post(url, body, content_type="application/json")
        _refused(r, code, status)
    assert _state(saved) == before
    # what the screen refuses before it offers the button: refused here too
    wajib = SavingsAccount.objects.get(member=saved, product__kind="wajib")
    savings_account_freeze(account=wajib, reason="sengketa", by=staff["bendahara"])
    frozen = _state(saved)
    _refused(c.post(url, _body(p), content_type="application/json"), "savings_account_frozen", 409)
    assert _state(saved) == frozen
    # the left-open settlement is for a member who has left
    r = c.post(_url(saved, "left-open/confirm"), _body(p), content_type="application/json")
    _refused(r, "settlement_member_active")
    assert _state(saved) == frozen


def test_confirm_refuses_loans_above_the_payout_unless_waived_on_death(
    client_a, saved, staff, today, make_loan
):
    make_loan(principal=D("20000000"), days_ago=20)
    heir_add(member=saved, by=staff["bendahara"], full_name="Maria Tingang", relationship="istri")
    c = _as(client_a, staff["bendahara"])
    shown = c.get(_url(saved, "preview"), {"on": today.isoformat()}).json()
    assert D(shown["net_payable"]) < 0 and shown["heirs"][0]["full_name"] == "Maria Tingang"
    before = _state(saved)
    body = {"on": today.isoformat(), "reason": "resigned", "expected_net": shown["net_payable"]}
    r = c.post(_url(saved, "confirm"), body, content_type="application/json")
    _refused(r, "settlement_loans_exceed_savings")
    assert _state(saved) == before
    body = {
        "on": today.isoformat(),
        "reason": "deceased",
        "waive_loans": True,
        "waiver_reason": "meninggal dunia, keputusan rapat pengurus",
        "board_decision_ref": "KEP-07/2026",
        "expected_net": shown["net_payable_loans_waived"],
    }
    r = c.post(_url(saved, "confirm"), body, content_type="application/json")
    assert r.status_code == 201, r.content
    s = ExitSettlement.objects.get(pk=r.json()["id"])
    assert (s.payee, s.payee_name) == ("heirs", "Maria Tingang")
    assert s.loans_waived == D(shown["loans_outstanding"])
    assert s.net_payable == D(shown["net_payable_loans_waived"])


def test_same_roles_as_the_screen(client_a, saved, staff, today):
    p = exit_settlement_preview(member=saved, on=today)
    before = _state(saved)
    for role in ("petugas", "pengawas"):
        c = _as(client_a, staff[role])
        assert c.get(_url(saved, "preview"), {"on": today.isoformat()}).status_code == 200
        for what in ("confirm", "left-open/confirm"):
            r = c.post(_url(saved, what), _body(p), content_type="application/json")
            _refused(r, "permission_denied", 403)
        # the screen refuses them too
        assert c.post(reverse("exits:settle", args=[saved.pk]), {}).status_code == 403
    anon = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    assert anon.get(_url(saved, "preview"), {"on": today.isoformat()}).status_code in (401, 403)
    assert _state(saved) == before


def test_left_open_confirm_settles_what_a_member_who_left_holds_open(client_a, saved, staff, today):
    left = f.left_outside_exit(saved, status="moved", on=today - timedelta(days=10))
    c = _as(client_a, staff["admin"])
    shown = c.get(_url(left, "preview"), {"on": today.isoformat()}).json()
    assert shown["left_open"] is True and shown["can_confirm"] is True
    before = _state(left)
    # the ordinary exit refuses a member who has left; a date before the exit too
    _refused(
        c.post(
            _url(left, "confirm"),
            {"on": today.isoformat(), "reason": "moved", "expected_net": shown["net_payable"]},
            content_type="application/json",
        ),
        "settlement_member_not_active",
        409,
    )
    for body, code in (
        ({"on": (today - timedelta(days=11)).isoformat()}, "settlement_bad_date"),
        ({"on": today.isoformat(), "reason": "deceased"}, "settlement_bad_reason"),
    ):
        r = c.post(
            _url(left, "left-open/confirm"),
            body | {"expected_net": shown["net_payable"]},
            content_type="application/json",
        )
        _refused(r, code)
    assert _state(left) == before
    r = c.post(
        _url(left, "left-open/confirm"),
        {"on": today.isoformat(), "channel": "cash", "expected_net": shown["net_payable"]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    s = r.json()
    assert s["left_open"] is True and s["reason"] == "moved"
    assert D(s["net_payable"]) == D(shown["net_payable"])
    m = Member.objects.get(pk=left.pk)
    assert (m.status, m.exit_date) == ("moved", today - timedelta(days=10))
    assert not SavingsAccount.objects.filter(member=m, status="open").exists()
    # again: nothing left open, nothing posted twice
    after = _state(left)
    r = c.post(
        _url(left, "left-open/confirm"),
        {"on": today.isoformat(), "expected_net": shown["net_payable"]},
        content_type="application/json",
    )
    _refused(r, "settlement_nothing_left_open", 409)
    assert _state(left) == after
    got = c.get(_url(left, "preview"), {"on": today.isoformat()}).json()
    assert [x["code"] for x in got["refusals"]] == ["settlement_nothing_left_open"]


def test_a_bad_reason_names_the_values_the_api_takes(client_a, saved, staff, today):
    """The refusal said "harus salah satu: keluar, pensiun, pindah, meninggal" — the
    screen's words — and an integrator who sent ``"pensiun"`` as told was refused again:
    the API takes ``resigned``, ``retired``, ``moved``, ``deceased`` (found walking the
    API)."""
    c = _as(client_a, staff["bendahara"])
    p = exit_settlement_preview(member=saved, on=today)
    before = _state(saved)
    r = c.post(_url(saved, "confirm"), _body(p, reason="pensiun"), content_type="application/json")
    e = _refused(r, "settlement_bad_reason")
    for value in ("resigned", "retired", "moved", "deceased"):
        assert value in e["message"], e["message"]
    assert _state(saved) == before
