"""The loan API answers bad input (rupiah written as people write it, negative, huge
or fractional amounts, unreadable or absurd dates, wrong types) with a JSON error, never a
500, and writes nothing."""

from datetime import timedelta

import pytest

from core.ledger.models import JournalEntry
from core.loans.models import Instalment, Loan, Repayment, Reschedule

BAD_AMOUNTS = [
    "-1.000",
    "-5",
    "0",
    "1.234.567,5",
    "1e30",
    "1E+400",
    "NaN",
    "Infinity",
    "99999999999999999999999999",
    "abc",
    "",
    None,
    [],
    {"x": 1},
    True,
    12.5,
]
BAD_DATES = [
    "2026-13-45",
    "2026-02-30",
    "31-12-2026",
    "0001-01-01",
    "9999-12-31",
    "2026-1-1x",
    "x" * 10,
    12345,
    [],
    {"d": 1},
    True,
]


def _counts():
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        Reschedule.objects.count(),
        Instalment.objects.count(),
        list(Loan.objects.order_by("pk").values_list("status", "principal_outstanding")),
    )


def _assert_json_error(r, what):
    assert r.status_code in (400, 403, 404, 409), (what, r.status_code, r.content[:400])
    body = r.json()
    assert set(body["error"]) >= {"code", "message", "fields"}, (what, body)
    assert body["error"]["message"], what


@pytest.fixture
def loans(make_loan):
    return {
        "running": make_loan(days_ago=75),
        "approved": make_loan(days_ago=3, until="approved"),
        "verified": make_loan(days_ago=3, until="verified", principal=2_000_000),
    }


def test_repay_and_payoff_bad_amounts_and_dates_answer_json_and_write_nothing(
    loans, staff, client_a
):
    client_a.force_login(staff["bendahara"])
    pk = loans["running"].pk
    before = _counts()
    for amount in BAD_AMOUNTS:
        r = client_a.post(
            f"/api/v1/loans/{pk}/repay/", {"amount": amount}, content_type="application/json"
        )
        _assert_json_error(r, ("repay amount", amount))
    for on in BAD_DATES:
        for url, body in (
            (f"/api/v1/loans/{pk}/repay/", {"amount": "1.100.000", "on": on}),
            (f"/api/v1/loans/{pk}/payoff/", {"on": on}),
        ):
            r = client_a.post(url, body, content_type="application/json")
            _assert_json_error(r, (url, on))
    for on in ("2026-13-45", "0001-01-01", "99999-01-01", "x"):
        r = client_a.get(f"/api/v1/loans/{pk}/payoff_quote/", {"on": on})
        if r.status_code == 404:  # the action's URL name
            r = client_a.get(f"/api/v1/loans/{pk}/payoff-quote/", {"on": on})
        _assert_json_error(r, ("quote", on))
    assert _counts() == before


def test_repay_reads_rupiah_as_people_write_it(loans, staff, client_a, today):
    client_a.force_login(staff["bendahara"])
    pk = loans["running"].pk
    r = client_a.post(
        f"/api/v1/loans/{pk}/repay/",
        {"amount": "1.100.000", "on": today.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["amount"] in ("1100000", "1100000.00")


def test_reschedule_disburse_approve_bad_input_answer_json(loans, staff, client_a):
    before = _counts()
    running, approved, verified = loans["running"], loans["approved"], loans["verified"]
    client_a.force_login(staff["ketua"])
    for body in (
        {"tenor": "abc", "reason": "x"},
        {"tenor": -3, "reason": "x"},
        {"tenor": 10**12, "reason": "x"},
        {"tenor": 12, "reason": "x", "rate": "1e400"},
        {"tenor": 12, "reason": "x", "rate": "-1"},
        {"tenor": 12, "reason": "x", "rate": "NaN"},
        {"tenor": 12, "reason": "x", "rate": "1.234.567"},
        {"tenor": 12, "reason": ""},
        *({"tenor": 12, "reason": "x", "on": d} for d in BAD_DATES),
        *({"tenor": 12, "reason": "x", "first_due_date": d} for d in BAD_DATES),
    ):
        r = client_a.post(
            f"/api/v1/loans/{running.pk}/reschedule/", body, content_type="application/json"
        )
        _assert_json_error(r, ("reschedule", body))
    for on in BAD_DATES:
        r = client_a.post(
            f"/api/v1/loans/{verified.pk}/approve/", {"on": on}, content_type="application/json"
        )
        _assert_json_error(r, ("approve", on))
    client_a.force_login(staff["bendahara"])
    for body in (
        *({"on": d} for d in BAD_DATES),
        *({"first_due_date": d} for d in BAD_DATES),
        {"via": "helicopter"},
    ):
        r = client_a.post(
            f"/api/v1/loans/{approved.pk}/disburse/", body, content_type="application/json"
        )
        _assert_json_error(r, ("disburse", body))
    assert _counts() == before


def test_simulate_and_apply_bad_amounts_answer_json(staff, member, product, client_a, today):
    client_a.force_login(staff["petugas"])
    for principal in BAD_AMOUNTS:
        for tenor in (10, "x", -1, 10**12, 1.5):
            r = client_a.post(
                "/api/v1/loans/simulate/",
                {"product": product.pk, "principal": principal, "tenor": tenor},
                content_type="application/json",
            )
            _assert_json_error(r, ("simulate", principal, tenor))
    r = client_a.post(
        "/api/v1/loans/simulate/",
        {"product": product.pk, "principal": "1.234.567", "tenor": 10},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["principal"] == "1234567"
    assert r.json()["schedule"][-1]["balance_after"] == "0"
    assert today  # the cooperative's today is set up


def test_reverse_with_bad_dates_answers_json(loans, staff, client_a, today):
    client_a.force_login(staff["bendahara"])
    running = loans["running"]
    r = client_a.post(
        f"/api/v1/loans/{running.pk}/repay/",
        {"amount": "100000", "on": (today - timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    rep = r.json()["id"]
    before = _counts()
    for on in BAD_DATES:
        r = client_a.post(
            f"/api/v1/loans/repayments/{rep}/reverse/",
            {"reason": "salah input", "on": on},
            content_type="application/json",
        )
        _assert_json_error(r, ("reverse", on))
    assert _counts() == before
