"""One view of a member (staff): the figures a treasurer decides with appear on one page
— savings per account, loans with schedule and grade, payroll deductions per month
(asked, cut, short), SHU per year, documents, heirs, history — in a fixed number of
queries however much history the member has."""

from decimal import Decimal as D

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.deductions import services as dsvc
from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify
from core.members.services import heir_add
from core.savings.services import savings_account_open, teller_deposit
from core.yearend.models import MemberShare, YearEnd
from tests.deductions.conftest import csv_bytes, docs, make_run
from tests.loans.conftest import approval_backdate
from tests.members import factories as f


def _page(client, member) -> str:
    r = client.get(reverse("members:detail", args=[member.pk]))
    assert r.status_code == 200
    return r.content.decode()


def _another_loan(coop, member):
    ln = loan_apply(
        member=member,
        product=coop["loans"]["m1"].product,
        principal=D("2000000"),
        tenor=4,
        by=coop["staff"]["petugas"],
        on=coop["this"],
        documents=docs(),
    )
    loan_verify(loan=ln, by=coop["staff"]["bendahara"])
    loan_approve(loan=ln, by=coop["staff"]["ketua"])
    approval_backdate(ln, coop["this"])  # approved on the day it is paid out
    loan_disburse(loan=ln, by=coop["staff"]["bendahara"], on=coop["this"])
    return ln


def test_member_view_shows_savings_loans_deductions_shu_heirs_history(coop, client_for):
    m1 = coop["m"][0]
    by = coop["by"]
    loan = coop["loans"]["m1"]
    from core.savings.models import SavingsProduct

    sukarela = SavingsProduct.objects.get(kind="sukarela")
    acc = savings_account_open(member=m1, product=sukarela, by=by, on=coop["this"])
    teller_deposit(account=acc, amount=D("1234567"), channel="cash", by=by, on=coop["this"])
    # this month's payroll: asked for the instalment and wajib, the agency cut 100.000
    run = make_run(on=coop["this"], by=by)
    line = run.lines.get(member=m1)
    imp = dsvc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m1.nip, 100000)]),
        file_name="a.csv",
        by=by,
    )
    dsvc.deduction_import_post(imp=imp, by=by)
    ye = YearEnd.objects.create(
        year=2025, status="closed", shu_before_tax=D("1000000"), shu_after_tax=D("900000")
    )
    MemberShare.objects.create(
        year_end=ye,
        member=m1,
        capital=D("5000000"),
        contribution=D("300000"),
        jma=D("41000"),
        jua=D("52000"),
        total=D("93000"),
    )
    heir_add(member=m1, by=by, full_name="Siti Ahli", relationship="Istri", share_percent=D("100"))

    html = _page(client_for(coop["staff"]["pengawas"]), m1)

    assert "Rp 1.234.567" in html  # the savings account's balance
    assert loan.number in html and "Lancar" in html
    assert "Jadwal angsuran" in html
    # the payroll month: asked, cut 100.000, short the rest
    line.refresh_from_db()
    short = line.total - D("100000")
    assert f"Rp {int(line.total):,}".replace(",", ".") in html
    assert "Rp 100.000" in html
    assert f"Rp {int(short):,}".replace(",", ".") in html
    assert "2025" in html and "Rp 93.000" in html  # SHU per year
    assert "Surat permohonan" in html and "Slip gaji" in html  # the loan's documents
    assert "Siti Ahli" in html
    assert "loan.disburse" in html  # audit rows about the member's loans


def test_member_view_query_count_does_not_grow_with_history(coop, client_for):
    m1 = coop["m"][0]
    c = client_for(coop["staff"]["bendahara"])
    _page(c, m1)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as before:
        _page(c, m1)
    for _ in range(3):
        _another_loan(coop, m1)
    heir_add(
        member=m1, by=coop["by"], full_name="Ahli Satu", relationship="Anak", share_percent=D("50")
    )
    heir_add(
        member=m1, by=coop["by"], full_name="Ahli Dua", relationship="Anak", share_percent=D("50")
    )
    with CaptureQueriesContext(connection) as after:
        html = _page(c, m1)
    assert html.count("Jadwal angsuran") == 4
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


def test_member_view_is_for_staff_only(coop, client_for):
    member_user = f.user("anggota")
    r = client_for(member_user).get(reverse("members:detail", args=[coop["m"][1].pk]))
    assert r.status_code == 403
