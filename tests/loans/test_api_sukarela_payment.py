"""Paying a loan from the member's simpanan sukarela through the API: ``source`` on the
repay and payoff bodies (``received``, the default: the money received at the counter or
by bank as ``channel`` says; ``sukarela``: taken from the member's sukarela, recorded at
the counter with the channel ``sukarela``), documented in the OpenAPI schema.
``channel="sukarela"`` given directly is refused (one way to ask for it: ``source``).
Refusals (short balance, frozen, no account) answer the one JSON error shape and change
nothing; an Idempotency-Key retry posts once."""

from decimal import Decimal as D

import pytest
from django.db.models import Sum

from core.audit.models import AuditEvent
from core.common.money import format_rupiah
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_for_role
from core.loans.models import Loan, Repayment
from core.loans.services import loan_payoff_quote
from core.savings.models import SavingsProduct, SavingsTransaction
from core.savings.seeding import product_by_kind, savings_products_seed
from core.savings.services import savings_account_freeze, savings_account_open, teller_deposit

MINIMUM = D(50_000)


@pytest.fixture
def sukarela(member, staff, today):
    savings_products_seed()
    SavingsProduct.objects.filter(kind="sukarela").update(minimum_balance=MINIMUM)
    acc = savings_account_open(member=member, product=product_by_kind("sukarela"), on=today)

    def fund(amount):
        teller_deposit(account=acc, amount=amount, channel="cash", on=today, by=staff["petugas"])
        acc.refresh_from_db()
        return acc

    return fund


@pytest.fixture
def api(client_a, staff):
    client_a.force_login(staff["bendahara"])

    def post(loan, what, body, key=None):
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return client_a.post(
            f"/api/v1/loans/{loan.pk}/{what}/", body, content_type="application/json", **extra
        )

    return post


def _state(loan, acc=None):
    loan.refresh_from_db()
    if acc is not None:
        acc.refresh_from_db()
    return (
        Repayment.objects.count(),
        JournalEntry.objects.count(),
        SavingsTransaction.objects.count(),
        AuditEvent.objects.count(),
        loan.status,
        loan.principal_outstanding,
        acc.balance if acc is not None else None,
    )


def _net(entry_id, account):
    t = JournalLine.objects.filter(entry_id=entry_id, account=account).aggregate(
        d=Sum("debit", default=D(0)), c=Sum("credit", default=D(0))
    )
    return t["d"] - t["c"]


def test_api_instalment_from_sukarela(make_loan, sukarela, api, today):
    loan = make_loan(days_ago=31)
    acc = sukarela(D(2_000_000))
    r = api(loan, "repay", {"amount": "1.100.000", "on": today.isoformat(), "source": "sukarela"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["channel"] == "sukarela"
    assert body["receipt_number"].startswith("ANG-")
    assert D(body["jasa"]) == D(100_000) and D(body["principal"]) == D(1_000_000)
    acc.refresh_from_db()
    assert acc.balance == D(900_000)
    rep = Repayment.objects.get(pk=body["id"])
    assert str(rep.entry_id) == body["entry"]
    # the entry: Dr sukarela 1.100.000, no cash or bank line
    assert _net(rep.entry_id, acc.product.account) == D(1_100_000)
    assert _net(rep.entry_id, account_for_role("cash")) == 0
    assert _net(rep.entry_id, account_for_role("bank")) == 0
    assert _net(rep.entry_id, account_for_role("loan_receivable")) == -D(1_000_000)
    txn = SavingsTransaction.objects.get(journal_entry_id=rep.entry_id)
    assert (txn.account_id, txn.amount, txn.kind) == (acc.pk, D(1_100_000), "transfer_out")
    assert loan.number in txn.memo and body["receipt_number"] in txn.memo


def test_api_payoff_from_sukarela(make_loan, sukarela, api, today):
    loan = make_loan(days_ago=31)
    q = loan_payoff_quote(loan=loan, on=today)
    acc = sukarela(q["total"] + MINIMUM)  # exactly what it may give
    r = api(loan, "payoff", {"on": today.isoformat(), "source": "sukarela"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["channel"] == "sukarela" and body["kind"] == "payoff"
    assert D(body["amount"]) == q["total"] and body["receipt_number"].startswith("ANG-")
    loan.refresh_from_db()
    acc.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.principal_outstanding == 0
    assert acc.balance == MINIMUM
    assert _net(int(body["entry"]), acc.product.account) == q["total"]
    assert _net(int(body["entry"]), account_for_role("cash")) == 0


def test_api_source_received_is_the_default_cash_at_the_counter(make_loan, api, today):
    loan = make_loan(days_ago=31)
    for body in ({}, {"source": "received"}):
        r = api(loan, "repay", {"amount": "100.000", "on": today.isoformat(), **body})
        assert r.status_code == 201, r.content
        assert r.json()["channel"] == "counter"
        assert _net(int(r.json()["entry"]), account_for_role("cash")) == D(100_000)


def test_api_short_sukarela_refused_with_figures_nothing_changes(make_loan, sukarela, api, today):
    loan = make_loan(days_ago=31)
    q = loan_payoff_quote(loan=loan, on=today)
    acc = sukarela(q["total"] + MINIMUM - 1)
    before = _state(loan, acc)
    r = api(loan, "payoff", {"on": today.isoformat(), "source": "sukarela"})
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "loan_sukarela_short"
    for figure in (acc.balance, MINIMUM, acc.balance - MINIMUM, q["total"], D(1)):
        assert format_rupiah(figure) in error["message"], figure
    assert "source" in error["fields"]
    assert _state(loan, acc) == before


def test_api_instalment_short_by_one_rupiah_refused_nothing_changes(
    make_loan, sukarela, api, today
):
    loan = make_loan(days_ago=31)
    acc = sukarela(MINIMUM + D(1_099_999))
    before = _state(loan, acc)
    r = api(loan, "repay", {"amount": "1.100.000", "on": today.isoformat(), "source": "sukarela"})
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "loan_sukarela_short"
    assert format_rupiah(D(1_099_999)) in error["message"]
    assert _state(loan, acc) == before


def test_api_frozen_sukarela_refused_nothing_changes(make_loan, sukarela, api, staff, today):
    loan = make_loan(days_ago=31)
    acc = sukarela(D(20_000_000))
    savings_account_freeze(account=acc, reason="sengketa waris", by=staff["bendahara"])
    before = _state(loan, acc)
    for what, body in (("payoff", {}), ("repay", {"amount": "1.100.000"})):
        r = api(loan, what, {**body, "on": today.isoformat(), "source": "sukarela"})
        assert r.status_code == 409, r.content
        error = r.json()["error"]
        assert error["code"] == "savings_account_frozen"
        assert "sengketa waris" in error["message"]
    assert _state(loan, acc) == before


def test_api_no_sukarela_account_refused_nothing_changes(make_loan, api, today):
    loan = make_loan(days_ago=31)
    before = _state(loan)
    r = api(loan, "payoff", {"on": today.isoformat(), "source": "sukarela"})
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "loan_sukarela_short"
    assert loan.member.full_name in error["message"] and "sukarela" in error["message"]
    assert _state(loan) == before


@pytest.mark.parametrize("what", ["repay", "payoff"])
def test_api_channel_sukarela_given_directly_is_refused(make_loan, sukarela, api, today, what):
    """One way to ask for it: ``source``. ``channel`` says how received money came."""
    loan = make_loan(days_ago=31)
    acc = sukarela(D(20_000_000))
    before = _state(loan, acc)
    body = {"amount": "1.100.000", "on": today.isoformat(), "channel": "sukarela"}
    r = api(loan, what, body)
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert "source" in " ".join(error["fields"]["channel"])
    assert _state(loan, acc) == before


@pytest.mark.parametrize("what", ["repay", "payoff"])
def test_api_unknown_source_and_sukarela_by_bank_refused(make_loan, sukarela, api, today, what):
    loan = make_loan(days_ago=31)
    acc = sukarela(D(20_000_000))
    before = _state(loan, acc)
    base = {"amount": "1.100.000", "on": today.isoformat()}
    r = api(loan, what, {**base, "source": "emas"})
    assert r.status_code == 400 and "source" in r.json()["error"]["fields"]
    r = api(loan, what, {**base, "source": "sukarela", "channel": "bank"})
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "loan_invalid"
    assert _state(loan, acc) == before


@pytest.mark.parametrize("what", ["repay", "payoff"])
def test_api_sukarela_payment_retried_with_the_same_key_posts_once(
    make_loan, sukarela, api, today, what
):
    loan = make_loan(days_ago=31)
    acc = sukarela(D(20_000_000))
    body = {"amount": "1.100.000", "on": today.isoformat(), "source": "sukarela"}
    first = api(loan, what, body, key=f"suk-{what}")
    assert first.status_code == 201, first.content
    after = _state(loan, acc)
    again = api(loan, what, body, key=f"suk-{what}")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert _state(loan, acc) == after
    assert SavingsTransaction.objects.filter(account=acc, kind="transfer_out").count() == 1


def test_api_schema_documents_source(client_a, staff):
    client_a.force_login(staff["admin"])
    schema = client_a.get("/api/schema/", {"format": "json"}).json()
    comps = schema["components"]["schemas"]
    for name in ("LoanRepay", "LoanPayoff"):
        props = comps[name]["properties"]
        src = props["source"]
        refs = [src.get("$ref"), *(x.get("$ref") for x in src.get("allOf", []))]
        ref = next(r for r in refs if r)
        assert set(comps[ref.rsplit("/", 1)[1]]["enum"]) == {"received", "sukarela"}, name
        assert "sukarela" in src["description"] and "409" in src["description"], name
        assert "source" in props["channel"]["description"], name
