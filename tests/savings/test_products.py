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
