"""The dashboard's collectibility bars say from which daily arrears run their grades are,
and how many loans in them no run has graded yet (paid out after it: counted with the
grade they were paid out with) or were paid after it (not regraded yet), as the loans
list does. They gave the bars alone: a chair reading "Lancar 100%" could not tell a
grading of this morning from one of last month, nor that new loans were in it ungraded."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.common.dates import format_tanggal
from core.loans.arrears import loans_arrears_update
from core.loans.services import loan_repay
from lumbung.dashboard import dashboard_panels
from tests.loans.conftest import loan_made, product_with_every_fee
from tests.members import factories as f


@pytest.fixture
def staff(in_tenant_a):
    return {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_loan(staff, in_tenant_a, today):
    product = product_with_every_fee()

    def make(principal=D(10_000_000), days_ago=0):
        who = f.member(take_home_pay=D(15_000_000))
        return loan_made(staff, who, product, today, principal=principal, days_ago=days_ago)

    return make


def _page(client_a, user, lang=None) -> str:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    if lang:
        c.cookies["django_language"] = lang
    return c.get("/").content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _by_id(html: str, tag: str, ident: str) -> str | None:
    m = re.search(rf'<{tag}[^>]*id="{ident}"[^>]*>(.*?)</{tag}>', html, re.S)
    return _text(m.group(1)) if m else None


@pytest.fixture
def graded_paid_fresh(staff, make_loan, today):
    graded = make_loan(days_ago=20)  # nothing due yet
    paid = make_loan(days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=paid, amount=D(500_000), by=staff["petugas"], on=today)
    fresh = make_loan(principal=D(2_000_000))  # paid out after the run
    return graded, paid, fresh


def test_panel_gives_the_runs_date_and_the_loans_it_did_not_grade(staff, graded_paid_fresh, today):
    data = dashboard_panels(user=staff["pengawas"], today=today)["loans"].data
    assert data["graded_on"] == today - timedelta(days=1)
    assert (data["not_graded"], data["not_graded_outstanding"]) == (1, D(2_000_000))
    assert data["paid_since"] == 1
    # the ungraded loan is in the bars (with the grade it was paid out with)
    assert data["count"] == 3


def test_dashboard_heads_the_bars_with_the_run_date_and_says_what_is_not_graded(
    client_a, staff, graded_paid_fresh, today
):
    html = _page(client_a, staff["pengawas"])
    day = format_tanggal(today - timedelta(days=1))
    assert _by_id(html, "h3", "loans-grade-head") == f"Kolektibilitas (per {day})"
    assert _by_id(html, "p", "loans-grade-note") == (
        "1 pinjaman belum dinilai (sisa pokok Rp 2.000.000) termasuk dalam grafik dengan "
        "kolektibilitas saat dicairkan. 1 pinjaman dibayar sesudah tanggal itu, belum "
        "dinilai ulang."
    )


def test_dashboard_in_english(client_a, staff, graded_paid_fresh, make_loan, today):
    make_loan(principal=D(3_000_000))  # a second loan paid out after the run
    html = _page(client_a, staff["pengawas"], "en")
    with translation.override("en"):
        day = format_tanggal(today - timedelta(days=1))
    assert _by_id(html, "h3", "loans-grade-head") == f"Collectibility (as of {day})"
    assert _by_id(html, "p", "loans-grade-note") == (
        "2 loans not graded yet (outstanding Rp 5.000.000) are in the chart with the "
        "grade they were paid out with. 1 loan paid after that date is not regraded yet."
    )


def test_dashboard_before_any_run_says_no_loan_is_graded(client_a, staff, make_loan):
    make_loan(days_ago=5)
    html = _page(client_a, staff["pengawas"])
    assert _by_id(html, "h3", "loans-grade-head") == "Kolektibilitas"
    assert _by_id(html, "p", "loans-grade-note") == (
        "1 pinjaman belum dinilai (sisa pokok Rp 10.000.000) termasuk dalam grafik dengan "
        "kolektibilitas saat dicairkan."
    )


def test_dashboard_with_every_loan_graded_has_no_note(client_a, staff, make_loan, today):
    make_loan(days_ago=20)
    loans_arrears_update(on=today)
    html = _page(client_a, staff["pengawas"])
    assert _by_id(html, "h3", "loans-grade-head") == f"Kolektibilitas (per {format_tanggal(today)})"
    assert _by_id(html, "p", "loans-grade-note") is None


def test_panel_costs_the_same_queries_with_more_loans(staff, make_loan, today):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            dashboard_panels(user=staff["pengawas"], today=today)["loans"]
        return len(ctx)

    make_loan(days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    make_loan(principal=D(2_000_000))
    few = queries()
    for i in range(3):
        # 31 days back or more: its first instalment (a month after) is due by today in any
        # month (30 days back from 31 March the first instalment falls on 1 April)
        loan = make_loan(principal=D(2_000_000), days_ago=31 + i)
        loan_repay(loan=loan, amount=D(300_000), by=staff["petugas"], on=today)
    make_loan(principal=D(1_000_000))
    assert queries() == few
