"""The API's money writes are safe to retry: a POST sent again with the same
``Idempotency-Key`` (a client retrying after a timeout) answers the first answer and
writes nothing; the same key on another body or path is refused; two at the same moment
post once; a write rolled back keeps no answer, so its retry runs."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from core.common.models import IdempotencyKey
from core.ledger.models import JournalEntry
from core.ledger.services import fiscal_year_ensure
from core.loans import api as loans_api
from core.loans.models import LoanProduct, Repayment
from tests.concurrency import two_clerks
from tests.conftest import _host
from tests.members import factories as f
from tests.module_coop import module_cooperative

from .conftest import loan_made


def _repay(client, pk, body, key, **extra):
    return client.post(
        f"/api/v1/loans/{pk}/repay/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **extra,
    )


def test_a_repayment_retried_with_the_same_key_posts_once(make_loan, staff, client_a, today):
    loan = make_loan(days_ago=75)
    client_a.force_login(staff["bendahara"])
    body = {"amount": "1.100.000", "on": today.isoformat()}
    first = _repay(client_a, loan.pk, body, "retry-7f3a")
    repayments, entries = Repayment.objects.count(), JournalEntry.objects.count()
    again = _repay(client_a, loan.pk, body, "retry-7f3a")

    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert again.json()["amount"] in ("1100000", "1100000.00")
    assert (Repayment.objects.count(), JournalEntry.objects.count()) == (repayments, entries)
    loan.refresh_from_db()
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_a_repayment_without_a_key_posts_each_time(make_loan, staff, client_a, today):
    loan = make_loan(days_ago=75)
    client_a.force_login(staff["bendahara"])
    body = {"amount": "100.000", "on": today.isoformat()}
    for _ in range(2):
        r = client_a.post(f"/api/v1/loans/{loan.pk}/repay/", body, content_type="application/json")
        assert r.status_code == 201, r.content
    assert Repayment.objects.filter(loan=loan).count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_repayment_retried_with_a_different_body_is_refused(make_loan, staff, client_a, today):
    loan = make_loan(days_ago=75)
    other = make_loan(days_ago=75, principal=D("5000000"))
    client_a.force_login(staff["bendahara"])
    on = today.isoformat()
    assert _repay(client_a, loan.pk, {"amount": "100.000", "on": on}, "k-1").status_code == 201

    body = _repay(client_a, loan.pk, {"amount": "200.000", "on": on}, "k-1")
    path = _repay(client_a, other.pk, {"amount": "100.000", "on": on}, "k-1")

    for r in (body, path):
        assert r.status_code == 422, r.content
        error = r.json()["error"]
        assert error["code"] == "idempotency_key_reused"
        assert "Idempotency-Key" in error["message"] and "sudah dipakai" in error["message"]
        assert set(error) == {"code", "message", "fields"}
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert not Repayment.objects.filter(loan=other).exists()


def test_a_key_is_kept_per_user_another_user_runs_their_own(make_loan, staff, client_a, today):
    loan = make_loan(days_ago=75)
    body = {"amount": "100.000", "on": today.isoformat()}
    client_a.force_login(staff["bendahara"])
    assert _repay(client_a, loan.pk, body, "same").status_code == 201
    client_a.force_login(staff["admin"])
    r = _repay(client_a, loan.pk, body, "same")
    assert r.status_code == 201, r.content
    assert "Idempotent-Replayed" not in r
    assert Repayment.objects.filter(loan=loan).count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "kunci\u00e9"])
def test_a_bad_key_is_refused_and_writes_nothing(make_loan, staff, client_a, today, key):
    loan = make_loan(days_ago=75)
    client_a.force_login(staff["bendahara"])
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/repay/",
        {"amount": "100.000", "on": today.isoformat()},
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "idempotency_key_invalid"
    assert not Repayment.objects.filter(loan=loan).exists()


def test_a_refused_repayment_is_kept_and_its_retry_answers_the_same_refusal(
    make_loan, staff, client_a, today, monkeypatch
):
    """Stripe's rule: a request the API refused (4xx) is answered the same again under its
    key, the service not run again; a corrected request takes a new key."""
    loan = make_loan(days_ago=75)
    client_a.force_login(staff["bendahara"])
    body = {"amount": "-5", "on": today.isoformat()}
    bad = _repay(client_a, loan.pk, body, "k-2")
    assert bad.status_code == 400
    kept = IdempotencyKey.objects.get(key="k-2")
    assert kept.status_code == 400 and bytes(kept.body) == bad.content

    calls = []
    real = loans_api.svc.loan_repay
    monkeypatch.setattr(loans_api.svc, "loan_repay", lambda **kw: calls.append(kw) or real(**kw))
    again = _repay(client_a, loan.pk, body, "k-2")
    assert again.status_code == 400 and again.content == bad.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in bad
    assert calls == []
    # the corrected request under the same key is another request: refused, not run
    fixed = _repay(client_a, loan.pk, {"amount": "100.000", "on": today.isoformat()}, "k-2")
    assert fixed.status_code == 422
    assert fixed.json()["error"]["code"] == "idempotency_key_reused"
    assert not Repayment.objects.filter(loan=loan).exists()


def test_a_refusal_found_by_the_view_is_kept_too(make_loan, staff, client_a, today):
    """A loan that is not there (404) is a refusal of this request like any other."""
    client_a.force_login(staff["bendahara"])
    body = {"amount": "100.000", "on": today.isoformat()}
    first = _repay(client_a, 999999, body, "k-404")
    again = _repay(client_a, 999999, body, "k-404")
    assert first.status_code == again.status_code == 404
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content


def test_a_request_refused_before_it_ran_keeps_nothing(make_loan, staff, client_a, today):
    """Refused by the role check (before the key is taken): nothing kept, so the same
    key works for the request once a user who may make it sends it."""
    loan = make_loan(days_ago=75)
    client_a.force_login(staff["pengawas"])
    body = {"amount": "100.000", "on": today.isoformat()}
    assert _repay(client_a, loan.pk, body, "k-role").status_code == 403
    assert not IdempotencyKey.objects.exists()


def test_a_repayment_rolled_back_write_stores_no_response(
    make_loan, staff, client_a, today, monkeypatch
):
    loan = make_loan(days_ago=75)
    client_a.force_login(staff["bendahara"])
    client_a.raise_request_exception = False
    real = loans_api.svc.loan_repay

    def repay_then_fail(**kw):
        real(**kw)  # the repayment is written...
        raise RuntimeError("the server dies before its answer")  # ...then rolled back

    monkeypatch.setattr(loans_api.svc, "loan_repay", repay_then_fail)
    body = {"amount": "1.100.000", "on": today.isoformat()}
    failed = _repay(client_a, loan.pk, body, "k-3")
    assert failed.status_code == 500
    assert not Repayment.objects.filter(loan=loan).exists()
    assert not IdempotencyKey.objects.exists()

    monkeypatch.setattr(loans_api.svc, "loan_repay", real)
    retried = _repay(client_a, loan.pk, body, "k-3")
    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert Repayment.objects.filter(loan=loan).count() == 1


# --- two requests with the same key at the same moment (real commits) -------------------


def _scratch_staff_and_product(today):
    """The treasurer, chair and clerk of the current (scratch) cooperative, its books
    open back to 75 days ago, and a loan product."""
    staff = {r: f.user(r) for r in ("ketua", "bendahara", "petugas")}
    on = today - timedelta(days=75)
    for year in range(today.year - 1, on.year - 1, -1):
        fiscal_year_ensure(year=year)
    product = LoanProduct.objects.create(
        code="TST",
        name="Produk Uji",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        min_membership_months=6,
    )
    return staff, product


def _running_loan(today, staff, product):
    """A disbursed loan (a member of its own) in the current (scratch) cooperative, and
    its treasurer."""
    member = f.member(take_home_pay=D("15000000"))
    return loan_made(staff, member, product, today, days_ago=75), staff["bendahara"]


@pytest.fixture(scope="module")
def scratch_coop(django_db_setup, django_db_blocker, tmp_path_factory):
    """One cooperative of its own for this module's races (writes really commit; named per
    run, so two xdist workers never share it; ``tests.module_coop``), with its staff and
    product; dropped after the module. Each race runs on a loan, a member and a key of its
    own, so what one race committed is not what the next one reads."""
    from django.utils import timezone

    def build():
        return _scratch_staff_and_product(timezone.localdate())

    with module_cooperative(django_db_blocker, tmp_path_factory, "idem", build) as (coop, made):
        staff, product = made
        yield coop, staff, product


@pytest.fixture
def scratch_loan(scratch_coop, django_db_blocker, today):
    tenant, staff, product = scratch_coop
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        try:
            loan, by = _running_loan(today, staff, product)
        finally:
            connection.set_schema_to_public()
        yield tenant, loan, by


def _race(scratch_loan, today, *, hold, key):
    tenant, loan, by = scratch_loan
    body = {"amount": "1.100.000", "on": today.isoformat()}
    answers = {}
    clients = {}
    connection.set_tenant(tenant)
    try:  # logged in beforehand: a login in the race would wait on the user row's lock
        for name in ("1", "2"):
            clients[name] = Client(HTTP_HOST=_host(tenant.slug))
            clients[name].force_login(by)
    finally:
        connection.set_schema_to_public()

    def post(name):
        def run():
            answers[name] = _repay(clients[name], loan.pk, body, key)

        return run

    outcome = two_clerks(tenant, post("1"), post("2"), hold=hold)
    connection.set_tenant(tenant)
    try:
        count = Repayment.objects.filter(loan=loan).count()
    finally:
        connection.set_schema_to_public()
    return outcome, answers, count


def test_a_repayment_concurrent_same_key_posts_once(scratch_loan, today):
    outcome, answers, count = _race(scratch_loan, today, hold=1.0, key="race-1")
    assert outcome == {"1": "ok", "2": "ok"}, outcome
    assert answers["1"].status_code == 201, answers["1"].content
    # the second waited for the first to commit, then answered its answer
    assert answers["2"].status_code == 201, answers["2"].content
    assert answers["2"]["Idempotent-Replayed"] == "true"
    assert answers["2"].content == answers["1"].content
    assert count == 1


def test_a_repayment_concurrent_same_key_answers_in_progress_after_the_wait(
    scratch_loan, today, settings
):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.2
    outcome, answers, count = _race(scratch_loan, today, hold=3.0, key="race-2")
    assert outcome == {"1": "ok", "2": "ok"}, outcome
    assert answers["1"].status_code == 201
    assert answers["2"].status_code == 409, answers["2"].content
    assert answers["2"].json()["error"]["code"] == "idempotency_key_in_progress"
    assert count == 1


def test_a_disbursement_and_a_payoff_retried_with_their_keys_post_once(
    make_loan, staff, client_a, today
):
    loan = make_loan(days_ago=3, until="approved")
    client_a.force_login(staff["bendahara"])
    url = f"/api/v1/loans/{loan.pk}/"
    body = {"on": today.isoformat()}
    answers, entries = [], []
    for action, key in (
        ("disburse", "d-1"),
        ("disburse", "d-1"),
        ("payoff", "p-1"),
        ("payoff", "p-1"),
    ):
        answers.append(
            client_a.post(
                url + action + "/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
            )
        )
        entries.append(JournalEntry.objects.count())

    assert [r.status_code for r in answers] == [200, 200, 201, 201], answers[0].content
    assert answers[1]["Idempotent-Replayed"] == answers[3]["Idempotent-Replayed"] == "true"
    assert answers[1].content == answers[0].content and answers[3].content == answers[2].content
    assert entries[1] == entries[0] and entries[3] == entries[2] > entries[1]
    loan.refresh_from_db()
    assert loan.status == "closed"
    assert Repayment.objects.filter(loan=loan).count() == 1
