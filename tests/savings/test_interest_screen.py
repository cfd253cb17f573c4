"""The treasurer's monthly jasa form on the reconciliation screen: a year or month that
is not one (typed wrong, out of range, empty) is said on the page, naming the field, and
nothing is run; a run done says its figures in rupiah as people read them."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.savings.models import InterestRun
from core.savings.services import savings_account_open
from tests.members import factories as f

from .test_interest import _fund

D = Decimal


@pytest.fixture
def product(products):
    p = products["sukarela"]
    p.interest_rate_annual = D("12")
    p.save()
    return p


@pytest.fixture
def bendahara(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("bendahara"))
    return c


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("year", "month", "field"),
    [
        ("2026a", "1", "Tahun"),
        ("2026", "13", "Bulan"),
        ("2026", "0", "Bulan"),
        ("1999", "1", "Tahun"),
        ("", "", "Tahun"),
        ("2026", "1,5", "Bulan"),
    ],
)
def test_a_bad_year_or_month_is_said_on_the_page_and_nothing_runs(
    product, bendahara, year, month, field
):
    r = bendahara.post(
        reverse("savings:reconciliation"),
        {"product": product.pk, "year": year, "month": month},
        follow=True,
    )
    assert r.status_code == 200
    errors = [m for m in _messages(r) if m.startswith(f"{field}:")]
    assert errors, _messages(r)
    assert not InterestRun.objects.filter(product=product).exists()


def test_a_run_says_its_figures_in_rupiah(product, bendahara, teller, year):
    acc = savings_account_open(member=f.member(), product=product, on=date(year, 1, 1))
    _fund(acc, D("1234567"), date(year, 1, 1), teller)
    r = bendahara.post(
        reverse("savings:reconciliation"),
        {"product": product.pk, "year": str(year), "month": "2"},
        follow=True,
    )
    run = InterestRun.objects.get(product=product, year=year, month=2)
    # 1,234,567 × 1 % = 12,345.67 → Rp 12.346 (half up); no PPh under the threshold
    assert run.gross_interest == D("12346")
    (msg,) = [m for m in _messages(r) if "Jasa simpanan dihitung" in m]
    assert "Rp 12.346" in msg and "Rp 0" in msg


@pytest.mark.parametrize(
    ("month_day", "years_back", "month"),
    [((1, 15), 1, 12), ((7, 3), 0, 6)],
)
def test_the_form_offers_the_last_month_that_has_ended(
    product, bendahara, today, today_is, month_day, years_back, month
):
    """The month a jasa run can be for: the one just ended (on 15 January, last year's
    December, which the year-end checklist asks for; on 3 July, June), not the month
    still running, which is refused ("belum selesai"). Days of this year, whichever."""
    today_is(date(today.year, *month_day))
    html = bendahara.get(reverse("savings:reconciliation")).content.decode()
    assert f'name="year" value="{today.year - years_back}"' in html
    assert f'name="month" min="1" max="12" value="{month}"' in html
