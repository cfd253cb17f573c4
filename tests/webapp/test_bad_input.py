"""Bad input never gives a 5xx (issue 22): every cause the attack run found, reproduced
with DEBUG off and exceptions turned into responses as in production. /api/ answers in the
one JSON error shape {"error": {"code", "message", "fields"}}."""

import json
from decimal import Decimal as D

import pytest
import stripe
from django.test import Client

from tests.loans.conftest import docs
from tests.members import factories as f
from tests.webapp.conftest import make_user

HUGE = "99999999999999999999999"  # beyond bigint


@pytest.fixture(autouse=True)
def _production_like(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api(tenant_a, in_tenant_a):
    """An admin of cooperative A; responses instead of re-raised exceptions."""
    from tenants.services import tenant_host

    admin = make_user("admin", email="admin-bad@webapp.test")
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug), raise_request_exception=False)
    c.force_login(admin)
    return c


def _error(r, status=400):
    assert r.status_code == status, (r.status_code, r.content[:500])
    assert r["Content-Type"].startswith("application/json"), r["Content-Type"]
    body = r.json()
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


# --- one error shape for every /api/ path -------------------------------------------


def test_unknown_api_path_is_json_404(api):
    _error(api.get("/api/v1/tidak-ada/"), 404)


@pytest.mark.parametrize("debug", [False, True])
def test_a_post_to_an_api_path_without_its_trailing_slash_is_a_json_error_naming_it(
    api, settings, debug
):
    """Django answered an HTML 301 (DEBUG: a 500) that a client cannot follow with its body."""
    settings.DEBUG = debug
    r = api.post("/api/v1/loans/simulate", {"principal": 1}, content_type="application/json")
    err = _error(r, 404)
    assert err["code"] == "trailing_slash_required"
    assert "/api/v1/loans/simulate/" in err["message"]
    # a GET still follows Django's redirect; an unknown path stays a plain 404
    assert api.get("/api/v1/members").status_code == 301
    assert _error(api.post("/api/v1/tidak-ada", {}), 404)["code"] == "not_found"


def test_unhandled_exception_on_api_is_json_500(api, monkeypatch):
    from core.members import selectors

    def boom(**kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "member_search", boom)
    err = _error(api.get("/api/v1/members/"), 500)
    assert err["code"] == "server_error" and "boom" not in err["message"]


def test_deeply_nested_json_is_400(api):
    body = "[" * 100_000 + "]" * 100_000
    for url in ("/api/v1/ledger/entries/", "/api/v1/loans/simulate/", "/api/v1/members/"):
        _error(api.post(url, body, content_type="application/json"))


# --- loan actions with a body that is not an object ---------------------------------


@pytest.fixture
def loan(in_tenant_a):
    from core.loans.models import LoanProduct
    from core.loans.services import loan_apply

    petugas = f.user("petugas")
    member = f.member(take_home_pay=D("15000000"))
    product = LoanProduct.objects.get(code="PA")
    return loan_apply(
        member=member, product=product, principal=D("5000000"), tenor=12, by=petugas,
        documents=docs(),
    )  # fmt: skip


@pytest.mark.parametrize("action", ["verify", "approve", "reject", "disburse", "repay", "payoff", "reschedule"])  # fmt: skip
@pytest.mark.parametrize("body", ["null", "[]", '"x"', "[1, 2]", "3"])
def test_loan_action_with_non_object_body_is_400(api, loan, action, body):
    r = api.post(f"/api/v1/loans/{loan.pk}/{action}/", body, content_type="application/json")
    _error(r)


def test_loan_action_text_field_with_a_list_or_nul_is_400(api, loan):
    for body in ({"note": ["a"]}, {"note": "a\x00b"}, {"note": {"x": 1}}):
        err = _error(api.post(f"/api/v1/loans/{loan.pk}/verify/", body, content_type="application/json"))  # fmt: skip
        assert "note" in err["fields"]


# --- id filters in the query string --------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/loans/?member=abc",
        "/api/v1/loans/repayments/?loan=abc",
        "/api/v1/members/?agency=abc",
        "/api/v1/savings/accounts/?member=abc",
        "/api/v1/savings/accounts/?product=%C2%B2",  # "²": isdigit() but not int()
        "/api/v1/savings/transactions/?account=abc",
        f"/api/v1/loans/?member={HUGE}",
        f"/api/v1/members/?agency={HUGE}",
        "/api/v1/loans/?member=-1",
    ],
)
def test_bad_id_filter_is_400_naming_it(api, url):
    name = url.split("?")[1].split("=")[0]
    assert name in _error(api.get(url))["fields"]


def test_bad_agency_on_deduction_export_is_400(api, in_tenant_a):
    from core.deductions.models import DeductionRun

    run = DeductionRun.objects.first()
    pk = run.pk if run else 1
    r = api.get(f"/api/v1/deductions/runs/{pk}/export/xlsx/?agency=abc")
    assert r.status_code in (400, 404), r.content[:300]
    _error(r, r.status_code)


# --- NUL bytes ------------------------------------------------------------------------


def test_nul_in_query_string_is_400(api):
    _error(api.get("/api/v1/members/?q=a%00b"))
    _error(api.get("/api/v1/ledger/entries/?source=%00"))
    assert api.get("/anggota/?q=a%00b").status_code == 400
    assert api.get("/simpanan/?q=%00").status_code == 400


def test_nul_in_text_field_is_400(api):
    err = _error(api.post("/api/v1/agencies/", {"code": "X1", "name": "A\x00B"}, content_type="application/json"))  # fmt: skip
    assert "name" in err["fields"]


# --- dates and amounts beyond what the code can compute ------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ledger/reports/trial-balance/?date_to={d}",
        "/api/v1/ledger/reports/income-statement/?date_from={d}",
        "/api/v1/ledger/reports/balance-sheet/?date_to={d}",
        "/api/v1/ledger/reports/cash-flow/?date_from={d}",
        "/api/v1/ledger/entries/?date_from={d}",
    ],
)
def test_extreme_report_dates_are_400(api, url, day):
    _error(api.get(url.format(d=day)))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_dates_on_screens_and_statements_are_not_5xx(api, in_tenant_a, day):
    member = f.member()
    r = api.get(f"/api/v1/savings/statements/{member.pk}/?date_from={day}&date_to={day}")
    _error(r)
    for kind in ("disbursements", "repayments"):
        r = api.get(f"/pinjaman/laporan/{kind}/?from={day}&to={day}")
        assert r.status_code < 500, (kind, r.status_code)


def test_payoff_quote_on_far_date_is_400(api, loan):
    for day in ("0001-01-01", "9999-12-31"):
        _error(api.get(f"/api/v1/loans/{loan.pk}/payoff-quote/?on={day}"))


def test_portal_simulation_with_huge_principal_is_a_form_error(tenant_a, in_tenant_a):
    from core.loans.models import LoanProduct
    from tenants.services import tenant_host

    user = make_user("anggota", email="m-bad@webapp.test")
    m = f.member()
    m.user = user
    m.save(update_fields=["user"])
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug), raise_request_exception=False)
    c.force_login(user)
    product = LoanProduct.objects.filter(is_active=True).first()
    for principal in ("1e30", "1" + "0" * 40, "1E+400"):
        r = c.get("/portal/pinjaman/simulasi/", {"product": product.pk, "principal": principal, "tenor": 12})  # fmt: skip
        assert r.status_code == 200, (principal, r.status_code)
        assert r.context["form"].errors.get("principal"), principal


@pytest.fixture
def running_loan(loan, in_tenant_a):
    from core.loans.services import loan_approve, loan_disburse, loan_verify

    loan = loan_verify(loan=loan, by=f.user("bendahara", username="b2@x.test"))
    loan = loan_approve(loan=loan, by=f.user("ketua", username="k2@x.test"))
    loan_disburse(loan=loan, by=f.user("bendahara", username="b3@x.test"))
    loan.refresh_from_db()
    return loan


@pytest.mark.parametrize("amount", ["100000000000", "1e11", "1e30", 1e11, "9" * 40, "NaN", "Infinity", "-1e11"])  # fmt: skip
def test_huge_repayment_is_400(api, running_loan, amount):
    r = api.post(f"/api/v1/loans/{running_loan.pk}/repay/", {"amount": amount}, content_type="application/json")  # fmt: skip
    _error(r)


# --- ids beyond bigint, names too long -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/members/{HUGE}/",
        f"/api/v1/agencies/{HUGE}/",
        f"/api/v1/loans/{HUGE}/",
        f"/api/v1/loans/{HUGE}/schedule/",
        f"/api/v1/ledger/accounts/{HUGE}/",
        f"/api/v1/savings/accounts/{HUGE}/",
        "/api/v1/loans/abc/",
    ],
)
def test_id_beyond_bigint_is_json_404(api, url):
    _error(api.get(url), 404)


def test_id_beyond_bigint_on_a_screen_is_404(api):
    assert api.get(f"/anggota/{HUGE}/").status_code == 404


def test_name_longer_than_the_column_is_400_naming_it(api):
    err = _error(api.post("/api/v1/agencies/", {"code": "X2", "name": "N" * 5000}, content_type="application/json"))  # fmt: skip
    assert "name" in err["fields"]


# --- billing forms, webhook, apex login -----------------------------------------------


@pytest.mark.parametrize("plan", ["abc", HUGE, "²", "-1"])
def test_plan_that_is_not_an_id_is_a_form_error(tenant_a, in_tenant_a, plan):
    from tenants.services import tenant_host

    admin = make_user("admin", email="adm-plan@webapp.test")
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug), raise_request_exception=False)
    c.force_login(admin)
    r = c.post("/langganan/paket/", {"plan": plan, "interval": "month"})
    assert r.status_code < 500, r.status_code


@pytest.mark.parametrize("body", ['[{"id": "evt_1", "type": "invoice.paid"}]', '{"type": "invoice.paid"}', '{"id": 5, "type": "x"}', '"x"'])  # fmt: skip
def test_signed_webhook_that_is_not_an_event_is_400(client_public, settings, body):
    from billing.models import WebhookEvent

    settings.STRIPE_WEBHOOK_SECRET = "whsec_bad_input"
    header = stripe.WebhookSignature.generate_signature_header(body, "whsec_bad_input")
    client_public.raise_request_exception = False
    r = client_public.post(
        f"/billing/webhooks/stripe/{settings.BILLING_WEBHOOK_PATH_TOKEN}/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert r.status_code == 400, r.content
    assert not WebhookEvent.objects.filter(valid=True, raw_body=body).exists()
    assert WebhookEvent.objects.filter(valid=False, raw_body=body).exists()


def test_successful_login_on_the_apex_redirects(client_public, settings):
    from core.users.models import User

    User.objects.create_user(username="op@apex.test", email="op@apex.test", password="Rahasia-123!")
    client_public.raise_request_exception = False
    r = client_public.post("/masuk/", {"username": "op@apex.test", "password": "Rahasia-123!"})
    assert r.status_code == 302, r.status_code
    # to the console's own login (password, then the code): no password-only session
    assert r["Location"] == "/konsol/masuk/"
    assert "_auth_user_id" not in client_public.session


def test_json_error_shape_is_the_one_from_api_handler(api):
    # sanity: what DRF itself answers keeps the shape too
    err = _error(api.post("/api/v1/agencies/", "{bad", content_type="application/json"))
    assert err["code"] == "parse_error"
    assert json.dumps(err)
