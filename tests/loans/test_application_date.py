"""An application entered later than it was made (the paper form came in a week late)
carries the date the member applied: the form asks for it (today by default), refuses a
day in the future or before the member joined, and the loan page shows it."""

from datetime import date, timedelta

import pytest

from core.common.dates import format_tanggal
from core.loans.models import Loan
from tests.loans.test_api_views import _files

URL = "/pinjaman/ajukan/"


@pytest.fixture
def june(today_is, today):
    return today_is(date(today.year, 6, 15))


def _data(member, product, **kw):
    return {
        "product": product.pk,
        "principal": "5.000.000",
        "tenor": 10,
        "member_number": member.number,
    } | kw


def test_the_form_asks_the_date_applied_today_by_default(login, staff, june):
    html = login(staff["petugas"]).get(URL).content.decode()
    assert 'name="applied_on"' in html
    assert f'value="{june.isoformat()}"' in html
    assert f'max="{june.isoformat()}"' in html


def test_a_paper_form_entered_late_keeps_the_day_it_was_made(login, staff, member, product, june):
    applied = june - timedelta(days=9)
    c = login(staff["petugas"])
    r = c.post(URL, _data(member, product, applied_on=applied.isoformat()) | _files())

    assert r.status_code == 302, r.content.decode()[:2000]
    loan = Loan.objects.get(member=member)
    assert loan.applied_on == applied
    page = c.get(f"/pinjaman/{loan.pk}/").content.decode()
    dates = page[page.index('id="workflow-dates"') :].split("</p>")[0]
    assert f"Diajukan {format_tanggal(applied)}" in dates


@pytest.mark.parametrize("days", [1, 30])
def test_a_date_in_the_future_is_refused_and_nothing_is_saved(
    login, staff, member, product, june, days
):
    later = june + timedelta(days=days)
    r = login(staff["petugas"]).post(
        URL, _data(member, product, applied_on=later.isoformat()) | _files()
    )
    assert r.status_code == 200
    assert "masa depan" in r.content.decode()
    assert not Loan.objects.filter(member=member).exists()


def test_a_date_before_the_member_joined_is_refused_naming_the_join_date(
    login, staff, member, product, june
):
    member.join_date = june - timedelta(days=5)
    member.save(update_fields=["join_date"])
    r = login(staff["petugas"]).post(
        URL, _data(member, product, applied_on=(june - timedelta(days=6)).isoformat()) | _files()
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "sebelum anggota masuk" in html and format_tanggal(member.join_date) in html
    assert not Loan.objects.filter(member=member).exists()


def test_a_date_that_is_not_a_date_is_refused(login, staff, member, product, june):
    r = login(staff["petugas"]).post(
        URL, _data(member, product, applied_on="31-02-2026") | _files()
    )
    assert r.status_code == 200
    assert not Loan.objects.filter(member=member).exists()


def test_the_api_takes_the_date_applied_and_refuses_one_before_joining(
    login, staff, member, product, june
):
    c = login(staff["petugas"])
    applied = june - timedelta(days=3)
    body = {"member": member.pk, "product": product.pk, "principal": "5000000", "tenor": 10}
    r = c.post("/api/v1/loans/", body | {"applied_on": applied.isoformat()} | _files())
    assert r.status_code == 201, r.content
    assert r.json()["applied_on"] == applied.isoformat()

    member.join_date = june - timedelta(days=1)
    member.save(update_fields=["join_date"])
    before = (june - timedelta(days=2)).isoformat()
    r = c.post("/api/v1/loans/", body | {"applied_on": before} | _files())
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "loan_date_invalid"
    assert Loan.objects.filter(member=member).count() == 1
