"""The grade's date on the lists, and a top-up's inherited grade. The loans list, a
member's page and ``GET /api/v1/loans/`` showed kolektibilitas without the date of the
daily arrears run that set it, so a treasurer reading the list could not tell today's
"Lancar" from last month's; and a top-up of a loan in arrears, which inherits the old
loan's grade at its disbursement, said only "belum dinilai"."""

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.common.dates import format_tanggal
from core.loans.arrears import loans_arrears_update
from core.loans.models import ArrearsRun
from core.loans.services import loan_disburse, loan_repay
from tests.loans.test_money_review import _topup
from tests.loans.test_restructuring import _bad_loan
from tests.members import factories as f


@pytest.fixture
def login(client_a, in_tenant_a):
    def as_user(user, lang=None):
        c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
        c.force_login(user)
        if lang:
            c.cookies["django_language"] = lang  # the switcher's choice
        return c

    return as_user


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _grade_header(html: str) -> str:
    m = re.search(r'<th id="grade-head">(.*?)</th>', html, re.S)
    assert m, "the list has no grade column header saying its date"
    return _text(m.group(1))


def _grade_cell(html: str, loan) -> str:
    m = re.search(rf'<td id="grade-{loan.pk}">(.*?)</td>', html, re.S)
    assert m, f"no grade cell for {loan.number}"
    return _text(m.group(1))


def _grade_line(html: str) -> str:
    m = re.search(r'<p class="muted" id="grade-date">(.*?)</p>', html, re.S)
    assert m, "the loan page has no line saying when the grade was set"
    return _text(m.group(1))


def _other_member():
    return f.member(take_home_pay=D(9_000_000))


def test_loan_list_header_dates_the_grade_and_notes_a_row_not_graded(
    login, staff, make_loan, today
):
    graded = make_loan(days_ago=20)  # nothing due yet: no days late beside the grade
    loans_arrears_update(on=today - timedelta(days=1))
    fresh = make_loan(who=_other_member(), principal=D(2_000_000))  # after the run
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    run_day = format_tanggal(today - timedelta(days=1))
    assert _grade_header(html) == f"Kolektibilitas (per {run_day})"
    assert _grade_cell(html, graded) == "Lancar"
    assert _grade_cell(html, fresh) == "Lancar belum dinilai"


def test_loan_list_notes_a_payment_after_the_run(login, staff, make_loan, today):
    loan = make_loan(days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=today)
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    assert _grade_cell(html, loan) == "Lancar dibayar sesudahnya, belum dinilai ulang"


def test_loan_list_without_any_run_says_none_is_graded(login, staff, make_loan):
    loan = make_loan(days_ago=10)
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    assert _grade_header(html) == "Kolektibilitas"
    assert _grade_cell(html, loan) == "Lancar belum dinilai"


def test_loan_list_in_english(login, staff, make_loan, today):
    graded = make_loan(days_ago=20)  # nothing due yet: no days late beside the grade
    loans_arrears_update(on=today - timedelta(days=1))
    fresh = make_loan(who=_other_member(), principal=D(2_000_000))
    html = login(staff["bendahara"], "en").get("/pinjaman/").content.decode()
    from django.utils import translation

    with translation.override("en"):
        run_day = format_tanggal(today - timedelta(days=1))
    assert _grade_header(html) == f"Collectibility (as of {run_day})"
    assert _grade_cell(html, graded) == "Current"
    assert _grade_cell(html, fresh) == "Current not graded yet"


def test_member_page_dates_the_grade(login, staff, make_loan, member, today):
    graded = make_loan(days_ago=20)  # nothing due yet: no days late beside the grade
    loans_arrears_update(on=today - timedelta(days=1))
    fresh = make_loan(principal=D(2_000_000))
    html = login(staff["bendahara"]).get(f"/anggota/{member.pk}/").content.decode()
    run_day = format_tanggal(today - timedelta(days=1))
    assert _grade_header(html) == f"Kolektibilitas (per {run_day})"
    assert _grade_cell(html, graded) == "Lancar"
    assert _grade_cell(html, fresh) == "Lancar belum dinilai"


def test_api_list_says_graded_on_per_loan(login, staff, make_loan, today):
    graded = make_loan(days_ago=20)  # nothing due yet: no days late beside the grade
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=graded, amount=D(500_000), by=staff["petugas"], on=today)
    fresh = make_loan(who=_other_member(), principal=D(2_000_000))
    body = login(staff["bendahara"]).get("/api/v1/loans/").json()
    items = {i["id"]: i for i in body["results"]}
    assert items[graded.pk]["graded_on"] == (today - timedelta(days=1)).isoformat()
    assert items[graded.pk]["paid_since_graded"] is True
    assert items[fresh.pk]["graded_on"] is None
    assert items[fresh.pk]["paid_since_graded"] is False


def _queries(client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_lists_cost_the_same_queries_with_more_loans(login, staff, make_loan, member, today):
    c = login(staff["bendahara"])
    urls = ["/pinjaman/", f"/anggota/{member.pk}/", "/api/v1/loans/"]
    make_loan(days_ago=40)
    loans_arrears_update(on=today - timedelta(days=1))
    make_loan(principal=D(2_000_000))
    few = {u: _queries(c, u) for u in urls}
    for i in range(4):
        # 31 days back or more: its first instalment (a month after) is due by today in any
        # month (30 days back from 31 March the first instalment falls on 1 April)
        loan = make_loan(principal=D(2_000_000), days_ago=31 + i)
        loan_repay(loan=loan, amount=D(300_000), by=staff["petugas"], on=today)
    loans_arrears_update(on=today)
    make_loan(principal=D(1_000_000))  # after today's run
    more = {u: _queries(c, u) for u in urls}
    assert more == few


# A top-up of a loan in arrears inherits the old loan's grade (restructure_grade, on the
# top-up's disbursement date) until a daily run grades it.


@pytest.fixture
def inherited(staff, member, product, today):
    on = today - timedelta(days=100)
    old = _bad_loan(staff, member, product, on)  # graded Diragukan by the run of ``on``
    new = _topup(staff, member, product, old, D(15_000_000), on)
    loan_disburse(loan=new, by=staff["bendahara"], on=on)
    # that run was made before the top-up was paid out (one transaction here: one clock)
    new.refresh_from_db()
    ArrearsRun.objects.filter(on=on).update(
        created_at=new.disbursement_entry.created_at - timedelta(hours=1)
    )
    new.refresh_from_db()
    assert new.kolektibilitas == "diragukan"
    return old, new, on


def test_topup_page_says_it_inherited_the_old_loans_grade(login, staff, inherited):
    old, new, on = inherited
    html = login(staff["bendahara"]).get(f"/pinjaman/{new.pk}/").content.decode()
    assert _grade_line(html) == (
        f"Mewarisi kolektibilitas pinjaman lama {old.number} per {format_tanggal(on)}; "
        "belum dinilai ulang (proses tunggakan berikutnya)"
    )
    # the next daily run grades it: the page gives that run's date
    loans_arrears_update(on=on + timedelta(days=1))
    html = login(staff["bendahara"]).get(f"/pinjaman/{new.pk}/").content.decode()
    assert _grade_line(html) == f"Kolektibilitas per {format_tanggal(on + timedelta(days=1))}"


def test_topup_page_says_it_in_english(login, staff, inherited):
    from django.utils import translation

    old, new, on = inherited
    html = login(staff["bendahara"], "en").get(f"/pinjaman/{new.pk}/").content.decode()
    with translation.override("en"):
        day = format_tanggal(on)
    assert _grade_line(html) == (
        f"Inherits the collectibility of the old loan {old.number} as of {day}; "
        "not regraded yet (next arrears run)"
    )


def test_api_says_the_topup_inherited_the_grade_in_both_languages(login, staff, inherited):
    from django.utils import translation

    old, new, on = inherited
    body = login(staff["bendahara"]).get(f"/api/v1/loans/{new.pk}/").json()
    assert body["graded_on"] is None
    assert body["kolektibilitas"] == "diragukan"
    assert body["grade_inherited_from"] == old.number
    assert body["grade_inherited_on"] == on.isoformat()
    assert body["grade_note"] == (
        f"Mewarisi kolektibilitas pinjaman lama {old.number} per {format_tanggal(on)}; "
        "belum dinilai ulang (proses tunggakan berikutnya)"
    )
    body = login(staff["bendahara"], "en").get(f"/api/v1/loans/{new.pk}/").json()
    with translation.override("en"):
        day = format_tanggal(on)
    assert body["grade_note"] == (
        f"Inherits the collectibility of the old loan {old.number} as of {day}; "
        "not regraded yet (next arrears run)"
    )
    listed = login(staff["bendahara"]).get("/api/v1/loans/").json()
    items = listed["results"]
    row = next(i for i in items if i["id"] == new.pk)
    assert (row["grade_inherited_from"], row["grade_inherited_on"]) == (old.number, on.isoformat())


def test_topup_list_row_says_inherited(login, staff, inherited):
    old, new, on = inherited
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    assert _grade_cell(html, new) == (
        f"Diragukan mewarisi {old.number} per {format_tanggal(on)} Direstrukturisasi"
    )


def test_topup_of_a_loan_not_in_arrears_inherits_nothing(
    login, staff, make_loan, member, product, today
):
    old = make_loan(days_ago=10)  # nothing due yet
    loans_arrears_update(on=today - timedelta(days=1))
    new = _topup(staff, member, product, old, D(15_000_000), today)
    loan_disburse(loan=new, by=staff["bendahara"], on=today)
    body = login(staff["bendahara"]).get(f"/api/v1/loans/{new.pk}/").json()
    assert body["grade_inherited_from"] is None and body["grade_inherited_on"] is None
    assert body["grade_note"] == "Kolektibilitas belum dinilai (proses tunggakan berikutnya)"
    html = login(staff["bendahara"]).get(f"/pinjaman/{new.pk}/").content.decode()
    assert _grade_line(html) == "Kolektibilitas belum dinilai (proses tunggakan berikutnya)"


def test_decision_screen_dates_the_other_loans_grade(login, staff, make_loan, today):
    # the chair deciding an application reads the member's other loans with their grade
    graded = make_loan(days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    fresh = make_loan(principal=D(2_000_000))  # after the run
    applied = make_loan(principal=D(1_000_000), until="verified")
    html = login(staff["ketua"]).get(f"/pinjaman/{applied.pk}/").content.decode()
    table = re.search(r'<table id="other-loans">(.*?)</table>', html, re.S).group(1)
    run_day = format_tanggal(today - timedelta(days=1))
    assert _grade_header(table) == f"Kolektibilitas (per {run_day})"
    assert _grade_cell(table, graded) == "Lancar"
    assert _grade_cell(table, fresh) == "Lancar belum dinilai"


# The list's top boxes: the NPL is worked out from the grades the latest daily run set
# (and the grades loans it did not grade were paid out with), the outstanding is today's.
# They gave the figures alone under a grade column headed with the run's date.


def _box_line(html: str, ident: str) -> str | None:
    m = re.search(rf'<p class="muted" id="{ident}">(.*?)</p>', html, re.S)
    return _text(m.group(1)) if m else None


def test_loan_list_npl_box_says_the_run_it_is_from_and_what_it_did_not_grade(
    login, staff, make_loan, today
):
    make_loan(days_ago=20)  # graded
    paid = make_loan(who=_other_member(), days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    loan_repay(loan=paid, amount=D(500_000), by=staff["petugas"], on=today)
    make_loan(who=_other_member(), principal=D(2_000_000))  # paid out after the run
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    run_day = format_tanggal(today - timedelta(days=1))
    assert _box_line(html, "npl-date") == f"Kolektibilitas per {run_day}"
    assert _box_line(html, "npl-note") == (
        "1 pinjaman belum dinilai (sisa pokok Rp 2.000.000) dihitung dengan kolektibilitas "
        "saat dicairkan. 1 pinjaman dibayar sesudah tanggal itu, belum dinilai ulang."
    )
    assert _box_line(html, "outstanding-date") == "per hari ini"


def test_loan_list_npl_box_before_any_run_says_nothing_is_graded(login, staff, make_loan):
    make_loan(days_ago=10)
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    assert _box_line(html, "npl-date") == (
        "Kolektibilitas belum dinilai (proses tunggakan berikutnya)"
    )
    assert _box_line(html, "npl-note") == (
        "1 pinjaman belum dinilai (sisa pokok Rp 10.000.000) dihitung dengan kolektibilitas "
        "saat dicairkan."
    )


def test_loan_list_npl_box_with_every_loan_graded_has_only_the_date(login, staff, make_loan, today):
    make_loan(days_ago=20)
    loans_arrears_update(on=today)
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    assert _box_line(html, "npl-date") == f"Kolektibilitas per {format_tanggal(today)}"
    assert _box_line(html, "npl-note") is None


def test_loan_list_npl_box_without_running_loans_says_no_date(login, staff):
    html = login(staff["bendahara"]).get("/pinjaman/").content.decode()
    assert _box_line(html, "npl-date") is None
    assert _box_line(html, "npl-note") is None


def test_loan_list_boxes_in_english(login, staff, make_loan, today):
    make_loan(days_ago=20)
    loans_arrears_update(on=today - timedelta(days=1))
    make_loan(who=_other_member(), principal=D(2_000_000))
    make_loan(who=_other_member(), principal=D(3_000_000))
    html = login(staff["bendahara"], "en").get("/pinjaman/").content.decode()
    from django.utils import translation

    with translation.override("en"):
        run_day = format_tanggal(today - timedelta(days=1))
    assert _box_line(html, "npl-date") == f"Collectibility as of {run_day}"
    assert _box_line(html, "npl-note") == (
        "2 loans not graded yet (outstanding Rp 5.000.000) are counted with the grade "
        "they were paid out with."
    )
    assert _box_line(html, "outstanding-date") == "as of today"
