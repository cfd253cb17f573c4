"""A member's grade (golongan) changes after a month's list was made: the next list asks
the new grade's wajib, the list already made keeps what it asked (its lines, its export,
what its file posts), and what it leaves unpaid is carried at the old amount."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.deductions import services as svc
from core.deductions.exports import agency_xlsx
from core.deductions.models import DeductionLine
from core.members.services import member_update
from core.savings.models import SavingsAccount, SavingsProduct
from core.savings.selectors import product_for_kind
from core.savings.services import savings_product_update, wajib_rate_set

from .conftest import assert_reconciled, csv_bytes, make_run

OLD, NEW = D("35000"), D("50000")  # grade II, grade III


@pytest.fixture
def graded(coop):
    """Wajib by grade (II: 35,000, III: 50,000 a month); m3 (no loan) in grade II/b."""
    by = coop["by"]
    wajib = product_for_kind(SavingsProduct.Kind.WAJIB)
    if not wajib.amount_by_grade:
        savings_product_update(product=wajib, by=by, amount_by_grade=True)
    for grade, amount in (("II", OLD), ("III", NEW)):
        wajib_rate_set(
            product=wajib, grade=grade, amount=amount, effective_from=date(2020, 1, 1), by=by
        )
    m3 = member_update(member=coop["m"][2], by=by, golongan="II/b")
    return m3


def _wajib_balance(member) -> D:
    return sum(
        SavingsAccount.objects.filter(member=member, product__kind="wajib").values_list(
            "balance", flat=True
        ),
        D(0),
    )


def _xlsx_row(content: bytes, nip: str):
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(content)).worksheets[0]
    header = next(r for r in ws.iter_rows(min_row=1, max_row=10) if r[0].value == "No")
    cols = {c.value: c.column - 1 for c in header}
    for row in ws.iter_rows(min_row=header[0].row + 1):
        if row[cols["NIP"]].value == nip:
            return [c.value for c in row]
    raise AssertionError(nip)


def test_grade_change_gives_the_next_list_the_new_wajib_and_leaves_the_old_list(
    coop, graded, cutoffs
):
    prev, this = cutoffs
    by, ag_a = coop["by"], coop["agencies"][0]
    m3 = graded
    run1 = make_run(on=prev, by=by)
    old = DeductionLine.objects.get(run=run1, member=m3)
    assert (old.wajib, old.wajib_arrears, old.total) == (OLD, 0, OLD)
    export_before = _xlsx_row(agency_xlsx(run=run1, agency=ag_a), m3.nip)

    m3 = member_update(member=m3, by=by, golongan="III/a", reason="naik pangkat")
    run2 = make_run(on=this, by=by)
    new = DeductionLine.objects.get(run=run2, member=m3)
    # the old list's file is not posted yet: its 35,000 is out, not carried again
    assert (new.wajib, new.wajib_arrears, new.total) == (NEW, 0, NEW)
    # the list already made is not changed by the grade change
    again = DeductionLine.objects.get(pk=old.pk)
    assert (again.wajib, again.wajib_arrears, again.total) == (OLD, 0, OLD)
    assert _xlsx_row(agency_xlsx(run=run1, agency=ag_a), m3.nip) == export_before

    # the old list's file posted in full after the change pays the old wajib, all of it
    # to wajib: nothing carried, nothing to sukarela
    before = _wajib_balance(m3)
    imp = svc.deduction_import_upload(
        run=run1,
        agency=ag_a,
        content=csv_bytes([(m3.nip, int(OLD))]),
        file_name="a.csv",
        by=by,
    )
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    svc.deduction_import_post(imp=imp, by=by, on=this)
    assert _wajib_balance(m3) - before == OLD
    assert not SavingsAccount.objects.filter(member=m3, product__kind="sukarela", balance__gt=0)
    assert svc.wajib_carried(year=this.year, month=this.month, member_ids=[m3.pk]) == {}
    assert_reconciled()


def test_grade_change_carries_the_old_lists_shortfall_at_the_old_amount(coop, graded, cutoffs):
    """The old list's file pays 10,000 of its 35,000 after the member moved to grade III:
    the next list carries 25,000 (the old month's own wajib less what was paid), and asks
    this month's 50,000 on top."""
    prev, this = cutoffs
    by, ag_a = coop["by"], coop["agencies"][0]
    m3 = graded
    run1 = make_run(on=prev, by=by)
    m3 = member_update(member=m3, by=by, golongan="III/a", reason="naik pangkat")
    imp = svc.deduction_import_upload(
        run=run1,
        agency=ag_a,
        content=csv_bytes([(m3.nip, 10000)]),
        file_name="a.csv",
        by=by,
    )
    svc.deduction_import_post(imp=imp, by=by, on=this)
    run2 = make_run(on=this, by=by)
    new = DeductionLine.objects.get(run=run2, member=m3)
    assert (new.wajib_arrears, new.wajib, new.total) == (
        OLD - 10000,
        NEW + OLD - 10000,
        NEW + OLD - 10000,
    )
    assert DeductionLine.objects.get(run=run1, member=m3).wajib == OLD
    assert_reconciled()
