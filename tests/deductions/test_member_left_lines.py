"""A member who left: the lines of deduction lists whose salary is paid after the exit
date are not asked any more (the agency cuts nothing, a posting refuses the row), so the
member's page and deduction history say "tidak ditagih — keluar" instead of "belum" (and
no shortfall); the next lists leave the member out."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from core.deductions.models import DeductionLine, DeductionRun
from core.deductions.services.runs import deduction_lines_build
from core.members.models import Member
from tests.members import factories as f
from tests.savings.conftest import products  # noqa: F401


def _left(exit_date: date):
    member = f.member()
    lines = []
    for year, month in ((2026, 10), (2026, 11), (2026, 12)):
        cutoff = date(year, month, 10)
        run = DeductionRun.objects.create(
            year=year, month=month, cutoff_date=cutoff, status=DeductionRun.Status.READY
        )
        lines.append(
            DeductionLine.objects.create(
                run=run,
                member=member,
                agency=member.agency,
                member_number=member.number,
                nip=member.nip,
                full_name=member.full_name,
                wajib=100000,
                total=100000,
                realized=100000 if month == 10 else None,
                paid_wajib=100000 if month == 10 else 0,
            )
        )
    # left on 20 November: the November list (cut-off 10 November, salary paid on
    # 1 December) and December's (paid 1 January) are after the exit; October's was cut
    Member.objects.filter(pk=member.pk).update(status=Member.Status.RETIRED, exit_date=exit_date)
    member.refresh_from_db()
    return member, lines


@pytest.fixture
def left(in_tenant_a):
    return _left(date(2026, 11, 20))


def _as(client_a, user):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(user)
    return c


def _row(html: str, line: DeductionLine) -> str:
    return html.split(f'id="deduction-{line.run_id}"')[1].split("</tr>")[0]


def test_member_page_says_lines_after_the_exit_are_not_asked(client_a, left):
    member, (octo, nov, dec) = left
    html = (
        _as(client_a, f.user("bendahara"))
        .get(reverse("members:detail", args=[member.pk]))
        .content.decode()
    )
    dec, nov, octo = _row(html, dec), _row(html, nov), _row(html, octo)
    assert "tidak ditagih — keluar" in dec and "belum" not in dec
    assert "tidak ditagih — keluar" in nov
    assert "Rp 100.000" in octo and "tidak ditagih" not in octo


def test_deduction_history_shows_no_shortfall_for_lines_after_the_exit(client_a, left):
    member, lines = left
    html = (
        _as(client_a, f.user("bendahara"))
        .get(reverse("deductions:member_history", args=[member.pk]))
        .content.decode()
    )
    dec = _row(html, lines[2])
    assert "tidak ditagih — keluar" in dec
    assert dec.count("Rp 100.000") == 2  # wajib and asked; no shortfall of Rp 100.000


def test_a_line_paid_before_the_exit_still_waits_for_its_batch(client_a, in_tenant_a):
    # left on 5 January: December's list (salary paid 1 January) was still to be cut
    member, lines = _left(date(2027, 1, 5))
    html = (
        _as(client_a, f.user("bendahara"))
        .get(reverse("members:detail", args=[member.pk]))
        .content.decode()
    )
    assert "belum" in _row(html, lines[2]) and "tidak ditagih" not in html


def test_the_next_list_leaves_a_member_who_left_out(in_tenant_a, left, products):  # noqa: F811
    member, _lines = left
    stay = f.member(agency_obj=member.agency)
    run = DeductionRun.objects.create(
        year=2027, month=1, cutoff_date=date(2027, 1, 10), status=DeductionRun.Status.READY
    )
    built = {ln.member_id for ln in deduction_lines_build(run)}
    assert member.pk not in built and stay.pk in built
