"""A payroll-deduction payment is shown to the member as what they recognise — the
month's deduction by their agency, "Potong gaji Februari <tahun> – <instansi>", with the
batch's reference (the journal of the agency's posted batch, which the office finds it
by) — the same way on the loan's payments and on the savings transactions; never the
stand-in receipt number a payroll repayment carries (it issues no receipt)."""

import re

from core.deductions.models import DeductionImport

from .conftest import Y, books_open_back_to, client_for, text

PERIOD = {"date_from": f"{Y}-01-01", "date_to": f"{Y}-12-31"}


def _batches():
    return {
        imp.run.month: imp
        for imp in DeductionImport.objects.filter(status="posted").select_related(
            "run", "agency", "entry"
        )
    }


def _label(imp) -> str:
    month = {2: "Februari", 3: "Maret"}[imp.run.month]
    return f"Potong gaji {month} {imp.run.year} – {imp.agency.name} · ref. {imp.entry}"


def test_a_payroll_repayment_names_its_month_agency_and_batch(loan_story_read):
    coop, _, rina, loan_story = loan_story_read
    a = loan_story["a"]
    portal = client_for(coop, rina.user)
    resp = portal.get(f"/portal/pinjaman/{a.pk}/")
    section = resp.content.decode().split('id="portal-loan-payments"', 1)[1]
    rows = [text(r) for r in section.split("<tr")[2:]]
    payroll = [p for p in resp.context["payments"] if p.channel == "payroll"]
    assert len(payroll) == 2
    batches = _batches()
    for p in payroll:
        label = _label(batches[p.paid_on.month])
        matching = [r for r in rows if label in r]
        assert len(matching) == 1, (label, rows)
        row = matching[0]
        # the stand-in number means nothing to her: not shown
        assert p.receipt_number not in row and not re.search(r"KW-\d{4}-\d{7}", row)
    # counter payments keep their receipt
    counter = next(p for p in resp.context["payments"] if p.channel == "counter")
    assert any(counter.receipt_number in r for r in rows)


def test_payroll_savings_rows_are_named_as_on_the_loan(loan_story_read):
    coop, _, rina, _ = loan_story_read
    portal = client_for(coop, rina.user)
    page = text(portal.get("/portal/transaksi/", PERIOD).content.decode())
    statement = portal.get("/portal/transaksi/", PERIOD).context["statement"]
    payroll = [t for s in statement for t in s.rows if t.kind == "payroll"]
    assert payroll  # the 50.000 cut over February's instalment went to sukarela
    batches = _batches()
    for t in payroll:
        assert _label(batches[t.journal_entry.date.month]) in page
    # the batch's bare code ("Potong gaji 02/<tahun>") is not what she reads; what was cut
    # over the list's asking says so, by the month's name
    assert f"02/{Y}" not in page and f"03/{Y}" not in page
    assert f"Kelebihan potong gaji Februari {Y} Rp 50.000" in page


def test_the_kartu_simpanan_pdf_names_payroll_rows_as_the_page_does(loan_story_read):
    """The downloaded kartu simpanan says what the transactions page says of a payroll
    movement — the month by name, the agency, the batch's reference — not the batch's
    internal memo ("Potong gaji 02/<tahun>")."""
    import io

    from pypdf import PdfReader

    coop, _, rina, _ = loan_story_read
    portal = client_for(coop, rina.user)
    resp = portal.get("/portal/transaksi/", PERIOD | {"format": "pdf"})
    assert resp.status_code == 200
    pdf = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages).split()
    )
    statement = portal.get("/portal/transaksi/", PERIOD).context["statement"]
    payroll = [t for s in statement for t in s.rows if t.kind == "payroll"]
    assert payroll
    batches = _batches()
    for t in payroll:
        assert _label(batches[t.journal_entry.date.month]) in pdf, pdf
    assert f"02/{Y}" not in pdf and f"03/{Y}" not in pdf
    assert f"Kelebihan potong gaji Februari {Y} Rp 50.000" in pdf


def test_a_reversed_batch_reads_the_same_on_the_page_the_pdf_and_the_staff_card(
    tenant_a, staff, rina
):
    """April's batch posted (wajib 50.000) and reversed: the member's transactions page
    and PDF show both movements, each named by the batch, with the staff kartu
    simpanan's amounts and running balances."""
    import io
    from datetime import date

    from pypdf import PdfReader

    from core.deductions.services import deduction_import_reverse, deduction_settings_update

    from .conftest import client_for as login
    from .conftest import payroll_month

    by = staff["bendahara"]
    books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    imp = payroll_month(rina, 4, "50000", date(Y, 4, 25), by)
    deduction_import_reverse(imp=imp, by=by, reason="salah file")
    imp.refresh_from_db()
    portal = login(tenant_a, rina.user)
    mine = portal.get("/portal/transaksi/", PERIOD)
    theirs = login(tenant_a, staff["pengawas"]).get(f"/simpanan/kartu/{rina.pk}/", PERIOD)
    shape = lambda st: [  # noqa: E731
        (s.account.pk, s.opening, [(t.pk, t.delta, t.running_balance) for t in s.rows], s.closing)
        for s in st
    ]
    assert shape(mine.context["statement"]) == shape(theirs.context["statement"])
    rows = [t for s in mine.context["statement"] for t in s.rows]
    assert [t.delta for t in rows] == [50000, -50000]
    agency = rina.agency.name
    posted = f"Potong gaji April {Y} – {agency} · ref. {imp.entry}"
    undone = f"Pembatalan potong gaji April {Y} – {agency} · ref. {imp.entry}"
    page = text(mine.content.decode())
    resp = portal.get("/portal/transaksi/", PERIOD | {"format": "pdf"})
    pdf = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages).split()
    )
    for shown in (page, pdf):
        assert posted in shown and undone in shown
        assert f"04/{Y}" not in shown
