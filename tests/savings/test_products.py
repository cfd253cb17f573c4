from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.common.errors import ApplicationError
from core.savings.models import WajibRate
from core.savings.selectors import wajib_amount_for
from core.savings.services import savings_product_update, wajib_rate_set
from tests.members import factories as f
from tests.savings.conftest import next_on

D = Decimal


def test_product_settings_validated_and_audited(products):
    from core.audit.models import AuditEvent

    p = savings_product_update(
        product=products["sukarela"],
        by="tests",
        interest_rate_annual=D("4.5"),
        interest_basis="average",
    )
    assert p.interest_rate_annual == D("4.5") and p.interest_basis == "average"
    assert AuditEvent.objects.filter(action="savings.product_update").exists()
    with pytest.raises(ApplicationError):
        savings_product_update(product=products["sukarela"], by="tests", tax_rate=D("150"))
    with pytest.raises(ApplicationError):
        savings_product_update(product=products["pokok"], by="tests", amount=D("100000.5"))
    with pytest.raises(ApplicationError):
        savings_product_update(product=products["berjangka"], by="tests", term_months=None)
    with pytest.raises(ApplicationError):
        savings_product_update(product=products["pokok"], by="tests", kind="sukarela")


def test_wajib_rate_from_a_date(products):
    m = f.member(golongan="IV/b")
    w = products["wajib"]
    wajib_rate_set(
        product=w, grade="iv", amount=D("90000"), effective_from=date(2026, 7, 1), by="tests"
    )
    assert wajib_amount_for(member=m, product=w, on=date(2026, 6, 30)) == D("75000")
    assert wajib_amount_for(member=m, product=w, on=date(2026, 7, 1)) == D("90000")
    with pytest.raises(ApplicationError):
        wajib_rate_set(
            product=w, grade="V", amount=D("1"), effective_from=date(2026, 7, 1), by="tests"
        )
    with pytest.raises(ApplicationError):
        wajib_rate_set(
            product=products["sukarela"],
            grade="I",
            amount=D("1"),
            effective_from=date(2026, 7, 1),
            by="tests",
        )


@pytest.mark.parametrize(
    ("role", "allowed"), [("bendahara", True), ("petugas", False), ("pengawas", False)]
)
def test_product_screen_permissions(products, tenant_a, role, allowed):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user(role))
    assert c.get(reverse("savings:products")).status_code == 200
    url = reverse("savings:product", args=[products["wajib"].pk])
    assert c.get(url).status_code == 200
    r = c.post(
        url, {"save_rate": "1", "grade": "II", "amount": "40000", "effective_from": "2026-01-01"}
    )
    assert (r.status_code == 302) is allowed
    assert WajibRate.objects.filter(grade="II", amount=D("40000")).exists() is allowed


# --- creating a product -------------------------------------------------------------


def pendidikan() -> dict:
    """An education product paid out on the next 1 July (to come on any day)."""
    return {
        "code": "spd",
        "kind": "berjangka",
        "name": "Simpanan Pendidikan",
        "amount": D("150000"),
        "term_months": 12,
        "payout_date": next_on(7, 1),
    }


def test_a_purpose_product_is_created_on_the_kinds_account_and_reconciles(products, member_a):
    from django.utils import timezone

    from core.audit.models import AuditEvent
    from core.savings.services import savings_account_open, savings_product_create, teller_deposit
    from tests.savings.conftest import assert_reconciled

    p = savings_product_create(by="tests", **pendidikan())
    assert p.code == "SPD" and p.kind == "berjangka" and p.is_active
    assert p.account == products["berjangka"].account  # the chart's account for the kind
    assert (p.amount, p.term_months, p.payout_date) == (D("150000"), 12, next_on(7, 1))
    event = AuditEvent.objects.get(action="savings.product_create")
    assert event.data["code"] == "SPD" and event.data["account"] == p.account.code
    # two products on one control account: the reconciliation adds them up
    today = timezone.localdate()
    for product in (p, products["berjangka"]):
        acc = savings_account_open(member=member_a, product=product, on=today)
        if product == p:  # the account is paid out on the product's date, still to come
            assert acc.payout_date == p.payout_date > today
        teller_deposit(account=acc, amount=product.amount, channel="cash", on=today, by="tests")
    assert_reconciled()


def test_a_product_on_another_liability_account(products):
    from core.ledger.models import Account
    from core.savings.services import savings_product_create

    other = Account.objects.create(
        code="2199",
        name="Simpanan khusus",
        type=Account.Type.LIABILITY,
        normal_side=Account.Side.CREDIT,
        parent=products["sukarela"].account.parent,
    )
    p = savings_product_create(
        by="tests", code="SSK", kind="sukarela", name="Sukarela Khusus", account=other
    )
    assert p.account == other


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "S P D"}, "code"),
        ({"code": ""}, "code"),
        ({"code": "SHR"}, "code"),  # the seeded hari raya product's code
        ({"name": "  "}, "name"),
        ({"kind": "tabungan"}, "kind"),
        ({"kind": "wajib", "term_months": None}, "kind"),  # one wajib per cooperative
        ({"kind": "pokok", "term_months": None}, "kind"),
        ({"term_months": None}, "term_months"),
        ({"amount": D("0")}, "amount"),
        ({"amount": D("150000.50")}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"tax_rate": D("101")}, "tax_rate"),
        ({"interest_basis": "maximum"}, "interest_basis"),
        ({"kind": "sukarela", "amount_by_grade": True}, "amount_by_grade"),
    ],
)
def test_bad_settings_are_refused_per_field_and_create_nothing(products, changes, field):
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_product_create

    before = SavingsProduct.objects.count()
    with pytest.raises(ApplicationError) as e:
        savings_product_create(by="tests", **(pendidikan() | changes))
    assert e.value.code == "savings_product_invalid"
    assert field in e.value.fields
    assert SavingsProduct.objects.count() == before


def test_an_account_that_is_not_a_postable_liability_is_refused(products):
    from core.ledger.selectors import account_for_role
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_product_create

    for account in (account_for_role("cash"), products["sukarela"].account.parent):
        with pytest.raises(ApplicationError) as e:
            savings_product_create(by="tests", account=account, **pendidikan())
        assert "account" in e.value.fields
    assert not SavingsProduct.objects.filter(code="SPD").exists()


def test_the_database_keeps_one_pokok_product(products):
    from django.db import IntegrityError, transaction

    from core.savings.models import SavingsProduct

    with pytest.raises(IntegrityError), transaction.atomic():
        SavingsProduct.objects.create(
            code="SP2", name="Pokok kedua", kind="pokok", account=products["pokok"].account
        )


@pytest.mark.parametrize(("role", "allowed"), [("bendahara", True), ("petugas", False)])
def test_product_create_screen(products, tenant_a, role, allowed):
    from core.savings.models import SavingsProduct
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user(role))
    url = reverse("savings:product_create")
    assert c.get(url).status_code == 200
    form = {
        "code": "SQ",
        "name": "Simpanan Qurban",
        "kind": "berjangka",
        "account": "",
        "amount": "200000",
        "minimum_balance": "0",
        "interest_rate_annual": "0",
        "interest_basis": "minimum",
        "tax_threshold": "240000",
        "tax_rate": "10",
        "term_months": "11",
        "payout_date": next_on(6, 1).isoformat(),
        "is_active": "on",
    }
    r = c.post(url, form)
    assert (r.status_code == 302) is allowed
    assert SavingsProduct.objects.filter(code="SQ").exists() is allowed
    if allowed:
        assert "Tambah produk" in c.get(reverse("savings:products")).content.decode()
        # the same code again: the form comes back with the error, nothing created
        r = c.post(url, form | {"name": "Qurban lagi"})
        assert r.status_code == 200
        assert "sudah dipakai" in r.content.decode()
        assert SavingsProduct.objects.filter(code="SQ").count() == 1


def test_product_create_api(products, tenant_a):
    from core.savings.models import SavingsProduct
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("bendahara"))
    url = "/api/v1/savings/products/"
    body = {"code": "SPD", "name": "Simpanan Pendidikan", "kind": "berjangka"}
    r = c.post(url, body | {"amount": "150000", "term_months": 12}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert (
        r.json()["code"] == "SPD" and r.json()["account_code"] == products["berjangka"].account.code
    )
    r = c.post(url, body | {"code": "SPE"}, content_type="application/json")  # no term
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "savings_product_invalid" and "term_months" in err["fields"]
    r = c.post(
        url,
        body | {"code": "SPF", "amount": "1", "term_months": 1, "account_code": "9999"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "account_code" in r.json()["error"]["fields"]
    assert not SavingsProduct.objects.filter(code__in=["SPE", "SPF"]).exists()
    teller = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    teller.force_login(f.user("petugas"))
    r = teller.post(url, body | {"code": "SPG"}, content_type="application/json")
    assert r.status_code == 403
