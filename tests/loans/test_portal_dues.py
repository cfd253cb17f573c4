"""What a member sees of their loan on the portal is what the staff loan page shows
(one rule, ``loan_dues``): in arrears, the arrears with the late penalty marked as
overdue, then the next instalment; the schedule's past-due rows marked late."""

import re
from decimal import Decimal as D

import pytest
from django.template.defaultfilters import date as date_filter

from core.common.money import format_rupiah
from core.loans.selectors import loan_schedule
from core.loans.services import loan_dues
from tests.webapp.conftest import make_user


@pytest.fixture
def member_login(member):
    user = make_user("anggota", email="portal-dues@alpha.test")
    member.user = user
    member.save(update_fields=["user"])
    return user


@pytest.fixture
def late_loan(make_loan, today):
    """Disbursed 100 days ago, nothing paid: three monthly instalments past due."""
    loan = make_loan(principal=D("10000000"), tenor=10, days_ago=100)
    dues = loan_dues(loan, today)
    assert dues.penalty > 0 and dues.principal == D("3000000")
    return loan, dues


def _card(html: str) -> str:
    return html.split('id="portal-next-instalment"', 1)[1].split("</div>")[0]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_staff_and_member_see_the_same_arrears(client_a, staff, late_loan, member_login):
    loan, dues = late_loan
    client_a.force_login(staff["bendahara"])
    staff_page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    assert f"Tertunggak: {format_rupiah(dues.due_total)}" in staff_page

    client_a.force_login(member_login)
    card = _text(_card(client_a.get("/portal/").content.decode()))
    assert "Tertunggak" in card and format_rupiah(dues.due_total) in card
    assert f"termasuk denda {format_rupiah(dues.penalty)}" in card
    detail = _text(client_a.get(f"/portal/pinjaman/{loan.pk}/").content.decode())
    assert f"Tertunggak {format_rupiah(dues.due_total)}" in detail
    assert f"termasuk denda {format_rupiah(dues.penalty)}" in detail


def test_the_next_instalment_is_shown_after_the_arrears(client_a, late_loan, member_login, today):
    loan, dues = late_loan
    nxt = next(r for r in loan_schedule(loan) if r.due_date > today)
    client_a.force_login(member_login)
    card = _text(_card(client_a.get("/portal/").content.decode()))
    assert "Angsuran berikutnya" in card
    assert format_rupiah(dues.next_principal + dues.next_jasa) in card
    assert date_filter(nxt.due_date) in card
    detail = _text(client_a.get(f"/portal/pinjaman/{loan.pk}/").content.decode())
    assert f"Angsuran berikutnya {format_rupiah(D('1100000'))}" in detail


def test_past_due_rows_are_marked_late_on_the_portal(client_a, late_loan, member_login, today):
    loan, _dues = late_loan
    client_a.force_login(member_login)
    resp = client_a.get(f"/portal/pinjaman/{loan.pk}/")
    late = [r for r in resp.context["schedule"] if r["overdue"]]
    assert [r["due_date"] < today for r in resp.context["schedule"]].count(True) == len(late) == 3
    body = resp.content.decode()
    assert body.count("Terlambat") == 3
    assert body.count(">Belum<") == 10 - 3


def test_a_member_not_in_arrears_sees_only_the_next_instalment(
    client_a, make_loan, member_login, today
):
    loan = make_loan(principal=D("10000000"), tenor=10, days_ago=0)
    first = next(iter(loan_schedule(loan)))
    client_a.force_login(member_login)
    card = _text(_card(client_a.get("/portal/").content.decode()))
    assert "Tertunggak" not in card
    assert "Angsuran berikutnya" in card and format_rupiah(D("1100000")) in card
    assert date_filter(first.due_date) in card
    detail = client_a.get(f"/portal/pinjaman/{loan.pk}/").content.decode()
    assert "Tertunggak" not in detail and "Terlambat" not in detail
