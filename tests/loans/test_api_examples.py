"""The document (/api/schema/) shows a worked example of each money action on a loan
(disbursement, repayment), and the API takes each example as it stands."""

from decimal import Decimal as D

import pytest
from django.test import Client

from core.loans.models import Loan, Repayment


@pytest.fixture
def examples(client_a, staff) -> dict[str, list[dict]]:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(staff["admin"])
    paths = c.get("/api/schema/", {"format": "json"}).json()["paths"]
    return {
        action: [
            e["value"]
            for e in paths[f"/api/v1/loans/{{id}}/{action}/"]["post"]["requestBody"]["content"][
                "application/json"
            ]["examples"].values()
        ]
        for action in ("disburse", "repay")
    }


def test_each_documented_disbursement_and_repayment_example_is_taken(
    examples, client_a, staff, make_loan
):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(staff["bendahara"])
    assert len(examples["disburse"]) >= 2 and len(examples["repay"]) >= 2
    for body in examples["disburse"]:
        loan = make_loan(until="approved")
        r = c.post(f"/api/v1/loans/{loan.pk}/disburse/", body, content_type="application/json")
        assert r.status_code == 200, (body, r.content)
        assert Loan.objects.get(pk=loan.pk).status == Loan.Status.DISBURSED
        assert r.json()["disbursed_via"] == body["via"]
    loan = make_loan()
    for body in examples["repay"]:
        r = c.post(f"/api/v1/loans/{loan.pk}/repay/", body, content_type="application/json")
        assert r.status_code == 201, (body, r.content)
        assert D(r.json()["amount"]) == D(body["amount"].replace(".", ""))
    assert Repayment.objects.filter(loan=loan).count() == len(examples["repay"])
