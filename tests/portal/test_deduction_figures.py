"""What a member sees of their payroll deductions — per month what was asked, cut and
short, and the last one on the home — is the staff member page's and the books'."""

from django.db.models import Sum

from core.common.money import format_rupiah
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalLine

from .conftest import ZERO, client_for, text


def test_each_month_asked_cut_and_short_are_the_staff_pages_and_the_posting(
    tenant_a, staff, rina, loan_story
):
    portal = client_for(tenant_a, rina.user)
    auditor = client_for(tenant_a, staff["pengawas"])
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
            f"{format_rupiah(r['expected'])} {format_rupiah(r['realized'])} "
            f"{format_rupiah(r['shortfall'])}"
        ) in page, month
    march, february = rows
    assert (march["expected"], march["realized"], march["shortfall"]) == (1150000, 600000, 550000)
    # cut more than asked: nothing short (the 50.000 over went to sukarela)
    assert (february["realized"], february["shortfall"]) == (1200000, 0)
    home = text(portal.get("/portal/").content.decode())
    assert (
        "Potong gaji terakhir Rp 600.000 Maret 2026 · diminta Rp 1.150.000 · kurang Rp 550.000"
        in home
    )
