"""The full monthly cycle on a small cooperative: generate → export → import realized
(a shortfall and an excess) → preview → post; sub-ledgers equal the control accounts."""

from decimal import Decimal as D

from core.deductions.exports import agency_xlsx, all_agencies_xlsx, cover_letter_pdf
from core.deductions.models import DeductionImport, DeductionLine
from core.deductions.services import (
    deduction_import_plan,
    deduction_import_post,
    deduction_import_upload,
)
from core.ledger.models import JournalEntry
from core.loans.models import Repayment
from core.savings.models import SavingsAccount

from .conftest import assert_reconciled, filled_xlsx, make_run


def test_full_cycle_with_shortfall_and_excess(coop, cutoffs):
    by = coop["by"]
    ag_a, ag_b = coop["agencies"]
    m1, m2, m3, m4 = coop["m"]
    _prev, this = cutoffs
    run = make_run(on=this, by=by)
    assert run.status == "ready"
    lines = {ln.member_id: ln for ln in DeductionLine.objects.filter(run=run)}
    assert set(lines) == {m.pk for m in coop["m"]}
    l1, l2, l3 = lines[m1.pk], lines[m2.pk], lines[m3.pk]
    # m1: last month's instalment is in arrears + this month's; m2: this month's only
    assert (l1.jasa, l1.principal) == (D("200000"), D("2000000"))
    assert (l2.jasa, l2.principal) == (D("100000"), D("1000000"))
    assert l3.jasa == l3.principal == 0 and l3.wajib > 0
    assert l1.total == l1.wajib + D("2200000")

    content = agency_xlsx(run=run, agency=ag_a)
    assert all_agencies_xlsx(run=run)[:2] == b"PK"
    assert cover_letter_pdf(run=run, agency=ag_a)[:4] == b"%PDF"
    # m1 short: jasa and part of the principal; m2 exact; m3 50,000 more than asked
    realized = {
        m1.nip: 1500000,
        m2.nip: int(l2.total),
        m3.nip: int(l3.total) + 50000,
    }
    imp = deduction_import_upload(
        run=run,
        agency=ag_a,
        content=filled_xlsx(content, realized),
        file_name="realisasi.xlsx",
        by=by,
    )
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    assert len(imp.posted_data["warnings"]) == 1  # the excess is reported
    plan = {p.line.member_id: p for p in deduction_import_plan(imp)}
    assert plan[m1.pk].alloc.paid == {
        "jasa": D("200000"),
        "principal": D("1300000"),
        "wajib": D("0"),
        "others": D("0"),
    }
    assert plan[m3.pk].alloc.excess == D("50000")

    suk_before = SavingsAccount.objects.filter(member=m3, product__kind="sukarela").first()
    bal_before = suk_before.balance if suk_before else D("0")
    imp = deduction_import_post(imp=imp, by=by)
    assert imp.status == "posted"
    entry = imp.entry
    assert entry.source == JournalEntry.Source.DEDUCTION
    total = sum(realized.values())
    bank = entry.lines.filter(debit__gt=0).first()
    assert bank.debit == D(total)
    reps = Repayment.objects.filter(entry=entry)
    assert sorted(r.amount for r in reps) == [D("1100000"), D("1500000")]
    assert all(r.channel == "payroll" for r in reps)
    l1.refresh_from_db()
    assert l1.realized == D("1500000") and l1.paid_wajib == 0
    assert l1.shortfall == l1.total - D("1500000")
    suk = SavingsAccount.objects.get(member=m3, product__kind="sukarela", status="open")
    assert suk.balance - bal_before == D("50000")
    assert_reconciled()
    # agency B not imported yet: its line is untouched
    assert DeductionLine.objects.get(run=run, member=m4).realized is None
    assert DeductionImport.objects.filter(run=run, status="posted").count() == 1


def test_plain_csv_nip_amount_list(coop, cutoffs):
    from .conftest import csv_bytes

    by = coop["by"]
    _ag_a, ag_b = coop["agencies"]
    m4 = coop["m"][3]
    run = make_run(on=cutoffs[1], by=by)
    line = DeductionLine.objects.get(run=run, member=m4)
    imp = deduction_import_upload(
        run=run,
        agency=ag_b,
        content=csv_bytes([(m4.nip, int(line.total))]),
        file_name="dinkes.csv",
        by=by,
    )
    assert imp.status == "valid"
    deduction_import_post(imp=imp, by=by)
    line.refresh_from_db()
    assert line.paid_wajib == line.wajib and line.shortfall == 0
    assert_reconciled()


def test_csv_row_split_by_an_unquoted_decimal_comma_is_refused(coop, cutoffs):
    """A comma-separated return with ``1.250.000,00`` unquoted splits that row's amount
    in two (a value right of the header's last column): the file is refused naming the
    row, instead of an amount read from the wrong piece."""
    by = coop["by"]
    _ag_a, ag_b = coop["agencies"]
    m4 = coop["m"][3]
    run = make_run(on=cutoffs[1], by=by)
    line = DeductionLine.objects.get(run=run, member=m4)
    amount = f"{int(line.total):,}".replace(",", ".")
    content = f"NIP,Jumlah\n{m4.nip},{amount},00\n".encode()
    imp = deduction_import_upload(
        run=run, agency=ag_b, content=content, file_name="dinkes.csv", by=by
    )
    assert imp.status == "invalid"
    said = [e["message"] for e in imp.file_errors]
    assert any("Baris 2" in e and "tanda kutip" in e for e in said), imp.file_errors
    assert imp.total_realized == 0
    # quoted, the same amount is read whole
    content = f'NIP,Jumlah\n{m4.nip},"{amount},00"\n'.encode()
    imp = deduction_import_upload(
        run=run, agency=ag_b, content=content, file_name="dinkes2.csv", by=by
    )
    assert imp.status == "valid" and imp.total_realized == line.total
