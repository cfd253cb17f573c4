"""The OpenAPI document (issue 22): the one error shape is a shared component, documented
on every operation for 400/403/404/409; workflow actions document their own request
bodies (never the ``Loan`` resource); the new reversal endpoints are in it."""

import pytest
from django.test import Client

from tests.webapp.conftest import make_user


@pytest.fixture
def doc(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(make_user("admin", email="schema-doc@webapp.test"))
    r = c.get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    return r.json()


def _ops(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, op


def test_error_shape_is_one_component(doc):
    err = doc["components"]["schemas"]["Error"]
    assert err["required"] == ["error"]
    detail = doc["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "fields"}


def test_every_operation_documents_the_error_statuses(doc):
    missing = []
    for path, method, op in _ops(doc):
        for code in ("400", "403", "404", "409"):
            body = op["responses"].get(code, {}).get("content", {}).get("application/json", {})
            if body.get("schema", {}).get("$ref") != "#/components/schemas/Error":
                missing.append(f"{method.upper()} {path} {code}")
    assert not missing, missing[:20]


def test_loan_actions_document_their_own_request_bodies(doc):
    for action in ("verify", "approve", "reject", "disburse", "repay", "payoff", "reschedule"):
        op = doc["paths"][f"/api/v1/loans/{{id}}/{action}/"]["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref != "#/components/schemas/Loan", action
    schedule = doc["paths"]["/api/v1/loans/{id}/schedule/"]["get"]
    assert schedule["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


def test_reversal_endpoints_are_documented(doc):
    for path in (
        "/api/v1/loans/repayments/{id}/reverse/",
        "/api/v1/loans/{id}/reverse-disbursement/",
        "/api/v1/savings/interest-runs/{id}/reverse/",
    ):
        assert "post" in doc["paths"][path], path
