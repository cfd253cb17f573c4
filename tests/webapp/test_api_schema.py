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


def _enum(doc, schema_name, prop):
    spec = doc["components"]["schemas"][schema_name]["properties"][prop]
    ref = spec.get("$ref") or spec["allOf"][0]["$ref"]
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]


def test_shu_payout_enums_are_each_documented_with_their_own_values(doc):
    """The SHU settings' ``payout_method`` (cash, sukarela or each member's choice) and a
    payout's ``method`` (cash or sukarela) were both named PayoutMethodEnum, and the
    settings were documented with the payout's two values: a GET of the defaults
    ("choice") broke the documented schema (found by the API fuzz test)."""
    from core.yearend.models import ShuPayout, ShuSettings

    assert sorted(_enum(doc, "ShuSettings", "payout_method")) == sorted(ShuSettings.Payout.values)
    # a payout is cash, a bank transfer (a member who left: no sukarela account) or sukarela
    assert sorted(_enum(doc, "Payout", "method")) == sorted(ShuPayout.Method.values)
    assert sorted(ShuPayout.Method.values) == ["bank", "cash", "sukarela"]


def test_every_documented_enum_has_the_values_its_serializer_field_accepts(in_tenant_a):
    """drf-spectacular names an enum after its field and, when two fields' names collide,
    may give one's values to the other silently (the SHU payout case above). Every choice
    field of every serializer in the document is compared with the enum documented for
    it. (Serializers are found through the generator's component registry, the only map
    from a component back to its serializer.)"""
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework import serializers

    gen = SchemaGenerator()
    doc = gen.get_schema(request=None, public=True)
    schemas = doc["components"]["schemas"]
    checked, wrong = 0, []
    for (name, kind), component in gen.registry._components.items():
        ser = component.object
        if kind != "schemas" or not isinstance(ser, serializers.BaseSerializer):
            continue
        ser = getattr(ser, "child", ser)
        for field_name, field in ser.fields.items():
            spec = schemas.get(name, {}).get("properties", {}).get(field_name)
            if not isinstance(field, serializers.ChoiceField) or not spec:
                continue
            ref = spec.get("$ref") or next(
                (s["$ref"] for s in spec.get("allOf", []) + spec.get("oneOf", []) if "$ref" in s),
                None,
            )
            if ref is None:
                continue
            documented = {v for v in schemas[ref.rsplit("/", 1)[1]]["enum"] if v not in ("", None)}
            accepted = {v for v in field.choices if v not in ("", None)}
            checked += 1
            if documented != accepted:
                wrong.append((name, field_name, sorted(documented), sorted(accepted)))
    assert checked > 50, checked
    assert not wrong, wrong


def test_rejoin_check_is_documented_with_its_answer_and_parameters(doc):
    op = doc["paths"]["/api/v1/members/rejoin-check/"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"nip", "nik"}
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    props = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert set(props) == {"rejoin", "previous_member", "note", "heirs", "login_moves"}


def _blank_allowed(doc, prop: dict) -> bool:
    """Whether a property's documented values include the empty string."""
    options = prop.get("oneOf") or prop.get("anyOf") or prop.get("allOf") or [prop]
    for option in options:
        target = option
        if "$ref" in option:
            target = doc["components"]["schemas"][option["$ref"].rsplit("/", 1)[-1]]
        if "" in target.get("enum", []) or (
            target.get("type") == "string" and "enum" not in target
        ):
            return True
    return False


def test_read_only_choices_that_may_be_blank_document_the_empty_string(doc):
    """A loan not yet paid out or closed answers ``disbursed_via``, ``closed_by`` and
    ``restructured_grade`` as "" (the model's blank choice): the document must allow it
    (the data-backed API fuzz found GET /loans/{id}/ answering what it did not)."""
    loan = doc["components"]["schemas"]["Loan"]["properties"]
    for name in ("disbursed_via", "closed_by", "restructured_grade"):
        assert _blank_allowed(doc, loan[name]), (name, loan[name])
    assert not _blank_allowed(doc, loan["kolektibilitas"])  # never blank


def test_no_operation_is_described_by_a_base_class_meant_for_developers(doc):
    """A view without a docstring of its own took the first base's with one, so 39
    operations of /api/docs/ (GETs too) read "First base of a DRF view: a POST carrying
    Idempotency-Key runs in one transaction ..." (found walking the docs page)."""
    from core.common.idempotency import IdempotentPostMixin

    mixin_doc = IdempotentPostMixin.__doc__.split(":")[0]  # "First base of a DRF view"
    leaked = [
        f"{method.upper()} {path}"
        for path, method, op in _ops(doc)
        if mixin_doc in op.get("description", "")
    ]
    assert not leaked, leaked
    # a view's own docstring is still its description
    loans = doc["paths"]["/api/v1/loans/"]["get"]["description"]
    assert loans.startswith("Loans. Staff see all")


def test_every_request_example_is_valid_against_its_own_schema(doc):
    """The document's examples are what an integrator copies: the savings deposit's
    ``"amount": "250.000"`` broke the amount's own ``pattern`` (a plain decimal, while the
    API reads rupiah as people write them: ``1.250.000``, ``Rp 1.250.000``), so a client
    generated from the document refused the example it ships (found walking the docs)."""
    import jsonschema

    bad = []
    for path, method, op in _ops(doc):
        for media, body in op.get("requestBody", {}).get("content", {}).items():
            schema = {**body.get("schema", {}), "components": doc["components"]}
            for name, example in body.get("examples", {}).items():
                errors = list(jsonschema.Draft4Validator(schema).iter_errors(example["value"]))
                bad += [f"{method.upper()} {path} {media} {name}: {e.message}" for e in errors]
    assert not bad, bad
