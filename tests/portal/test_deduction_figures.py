"""What a member sees of their payroll deductions — per month what was asked, cut and
short, and the last one on the home — is the staff member page's and the books'."""

from decimal import Decimal

from django.db.models import Sum

from core.common.money import format_rupiah
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalLine

from .conftest import ZERO, Y, books_open_back_to, client_for, text


def test_each_month_asked_cut_and_short_are_the_staff_pages_and_the_posting(loan_story_read):
    coop, staff, rina, _ = loan_story_read
    portal = client_for(coop, rina.user)
    auditor = client_for(coop, staff["pengawas"])
    mine = portal.get("/portal/potong-gaji/")
    theirs = auditor.get(f"/anggota/{rina.pk}/")
    rows = list(mine.context["page"])
    staff_rows = theirs.context["ov"].deductions
    assert [(r["period"], r["expected"], r["realized"], r["shortfall"]) for r in rows] == [
        (r["period"], r["expected"], r["realized"], r["shortfall"]) for r in staff_rows
    ]
    assert [r["period"].month for r in rows] == [3, 2]
    page = text(mine.content.decode())
    for r in rows:
        line = DeductionLine.objects.get(
            member=rina, run__year=r["period"].year, run__month=r["period"].month
        )
        assert (r["expected"], r["realized"]) == (line.total, line.realized)
        # the books: what was cut is what the batch entry credited for her
        imp = DeductionImport.objects.get(run=line.run, status="posted")
        lines = JournalLine.objects.filter(entry=imp.entry, member_id=rina.pk).aggregate(
            c=Sum("credit", default=ZERO), d=Sum("debit", default=ZERO)
        )
        assert lines["c"] - lines["d"] == line.realized
        month = r["period"].strftime("%B")  # the portal's month names are Indonesian
        assert (
            f"Diminta {format_rupiah(r['expected'])} · Terpotong {format_rupiah(r['realized'])} "
            f"· Kurang {format_rupiah(r['shortfall'])}"
        ) in page, month
    march, february = rows
    assert (march["expected"], march["realized"], march["shortfall"]) == (1150000, 600000, 550000)
    # cut more than asked: nothing short (the 50.000 over went to sukarela)
    assert (february["realized"], february["shortfall"]) == (1200000, 0)
    home = text(portal.get("/portal/").content.decode())
    assert (
        f"Potong gaji terakhir Rp 600.000 Maret {Y} · diminta Rp 1.150.000 · kurang Rp 550.000"
        in home
    )


def test_each_month_says_the_agency_the_allocation_and_the_arrears_carried(loan_story_read):
    """Per month the member reads whom the list went to, what was asked of each part, what
    was cut and where it went (wajib, each loan's penalty, jasa and principal, sukarela),
    and what was left unpaid and carried as arrears — all as the posted line recorded
    it. February: loan A's instalment and wajib asked, 50.000 cut over them (to
    sukarela); March: 600.000 of 1.150.000, jasa first, then principal: wajib and 500.000
    of A's principal carried."""
    coop, _, rina, loan_story = loan_story_read
    a = loan_story["a"]
    portal = client_for(coop, rina.user)
    resp = portal.get("/portal/potong-gaji/")
    assert resp.status_code == 200
    rows = {r["period"].month: r for r in resp.context["page"]}
    page = resp.content.decode()
    months = {
        m: text(page.split(f'id="potong-gaji-{Y}-{m:02d}"', 1)[1].split("</section>")[0])
        for m in (2, 3)
    }
    r = format_rupiah
    for m, shown in months.items():
        line = DeductionLine.objects.get(member=rina, run__year=Y, run__month=m)
        (loan,) = line.loans
        (paid,) = line.paid_detail["loans"]
        assert line.agency.name in shown
        assert (
            f"Diminta {r(line.total)} · Terpotong {r(line.realized)} · Kurang {r(line.shortfall)}"
        ) in shown
        asked_loan = Decimal(loan["jasa"]) + Decimal(loan["principal"])  # penalty in jasa
        paid_loan = sum(Decimal(paid[k]) for k in ("penalty", "jasa", "principal"))
        assert f"Pinjaman {a.number} {r(asked_loan)} {r(paid_loan)} " in shown, shown
        assert (
            f"Pinjaman {a.number}: denda {r(Decimal(paid['penalty']))}, "
            f"jasa {r(Decimal(paid['jasa']))}, pokok {r(Decimal(paid['principal']))}"
        ) in shown, shown
        assert f"Simpanan wajib {r(line.wajib)} {r(line.paid_wajib)} " in shown
        assert rows[m]["agency"] == line.agency.name
    feb, mar = months[2], months[3]
    assert "Masuk simpanan sukarela – Rp 50.000 –" in feb
    assert "Jumlah Rp 1.150.000 Rp 1.200.000 Rp 0" in feb
    # March: 600.000 = jasa 100.000 + principal 500.000; wajib and 500.000 carried
    line = DeductionLine.objects.get(member=rina, run__year=Y, run__month=3)
    assert (line.paid_jasa, line.paid_principal, line.paid_wajib) == (100000, 500000, 0)
    assert f"Simpanan wajib {r(line.wajib)} Rp 0 {r(line.wajib)}" in mar
    assert f"Pinjaman {a.number} Rp 1.100.000 Rp 600.000 Rp 500.000" in mar
    assert "Jumlah Rp 1.150.000 Rp 600.000 Rp 550.000" in mar
    assert "Masuk simpanan sukarela" not in mar
    assert rows[3]["carried"] == line.shortfall == Decimal("550000")


def test_a_reversed_batch_says_so_on_its_month(tenant_a, staff, rina):
    """April's batch (wajib only) posted and reversed: the month says it was cancelled,
    on which day and why, and shows nothing as cut or allocated."""
    from datetime import date

    from core.deductions.services import deduction_import_reverse, deduction_settings_update

    from .conftest import payroll_month

    by = staff["bendahara"]
    books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    imp = payroll_month(rina, 4, "50000", date(Y, 4, 25), by)
    deduction_import_reverse(imp=imp, by=by, reason="salah file")
    portal = client_for(tenant_a, rina.user)
    resp = portal.get("/portal/potong-gaji/")
    assert resp.status_code == 200
    apr = text(resp.content.decode().split(f'id="potong-gaji-{Y}-04"', 1)[1].split("</section>")[0])
    assert f"Batch dibatalkan 25 Apr {Y}: salah file" in apr
    # nothing shown as cut, allocated or carried
    assert f"April {Y} dibatalkan" in apr and "belum diposting" not in apr
    assert "Diminta Rp 50.000 Batch" in apr and "Terpotong Rp" not in apr
    assert "Simpanan wajib Rp 50.000 – –" in apr and "Jumlah Rp 50.000 – –" in apr
