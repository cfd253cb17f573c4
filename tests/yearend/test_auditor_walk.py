"""The auditor's (and the pengawas') walk through a closed year's RAT pack: a small but
whole year (members joining and one leaving, pokok / wajib / sukarela with interest,
loans repaid at the counter and by payroll deduction, one restructured, one written
off, expenses), closed and its SHU posted after the RAT; then every CaLK note and
statement of the pack read against the books, figures worked out by hand."""

import copy
from datetime import date
from decimal import Decimal

import pytest

from tests.deductions.conftest import csv_bytes, make_run
from tests.loans.conftest import approval_backdate, docs
from tests.members import factories as f
from tests.module_coop import module_uncommitted

from .conftest import YEAR, close_preliminaries, year_of

D = Decimal


def _loan(staff, product, member, principal, tenor, on, first_due=None):
    from core.loans.services import loan_apply, loan_approve, loan_disburse, loan_verify

    by = staff["bendahara"]
    ln = loan_apply(
        member=member,
        product=product,
        principal=D(principal),
        tenor=tenor,
        by=staff["petugas"],
        on=on,
        documents=docs(),
    )
    loan_verify(loan=ln, by=by)
    loan_approve(loan=ln, by=staff["ketua"])
    approval_backdate(ln, on)
    loan_disburse(loan=ln, by=by, on=on, first_due_date=first_due)
    ln.refresh_from_db()
    return ln


def auditor_year(staff) -> dict:
    """``year_of`` (m1 borrows 10,000,000 in February and repays four instalments at the
    counter, m2 and m3 save), and: sukarela earns 3% a year; m4 joins in March and
    borrows 6,000,000 (repaid by payroll deduction in October), m5 joins in April and
    borrows 5,000,000 (restructured in September), m6 borrows 3,000,000 in January and
    never pays (Macet at 31 December, written off); two expenses; m2 leaves in November.
    Then the close's preliminaries, the write-off, the close and the RAT's posting."""
    from core.deductions.models import DeductionLine
    from core.deductions.services import (
        deduction_import_post,
        deduction_import_upload,
        deduction_settings_update,
    )
    from core.exits.services import exit_settlement_confirm
    from core.ledger.models import Account
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, journal_post
    from core.loans.arrears import loans_arrears_update
    from core.loans.models import LoanProduct
    from core.loans.services import loan_reschedule, loan_write_off
    from core.savings.models import SavingsProduct

    by = staff["bendahara"]
    SavingsProduct.objects.filter(kind="sukarela").update(
        interest_enabled=True, interest_rate_annual=D("3")
    )
    base = year_of(staff)
    journal_post(  # a cooperative of some size: equity in the tens of billions
        on=date(YEAR, 1, 2),
        description="Saldo awal (lanjutan)",
        source="opening",
        source_ref="auditor-walk-opening",
        by=by,
        lines=[
            LineSpec(account_for_role("bank"), debit=D("24500000000")),
            LineSpec(account_for_role("opening_balance"), credit=D("24500000000")),
        ],
    )
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    product = LoanProduct.objects.get(code="YE")
    agency = f.agency("DISKES", "Dinas Kesehatan")
    m4 = f.member(
        full_name="Empat",
        agency_obj=agency,
        join_date=date(YEAR, 3, 1),
        take_home_pay=D("15000000"),
    )
    m5 = f.member(
        full_name="Lima", agency_obj=agency, join_date=date(YEAR, 4, 1), take_home_pay=D("15000000")
    )
    m6 = f.member(
        full_name="Enam", agency_obj=agency, join_date=date(YEAR, 1, 3), take_home_pay=D("15000000")
    )
    from .conftest import _deposit

    for m, on in ((m4, date(YEAR, 3, 1)), (m5, date(YEAR, 4, 1)), (m6, date(YEAR, 1, 3))):
        _deposit(m, "pokok", "100000", on, by)
        _deposit(m, "wajib", "600000", on, by)
    _deposit(m4, "sukarela", "2000000", date(YEAR, 3, 1), by)
    l6 = _loan(staff, product, m6, "3000000", 10, date(YEAR, 1, 5), date(YEAR, 2, 5))
    l4 = _loan(staff, product, m4, "6000000", 12, date(YEAR, 3, 10), date(YEAR, 4, 10))
    l5 = _loan(staff, product, m5, "5000000", 10, date(YEAR, 4, 10), date(YEAR, 5, 10))
    for name, code, amount, on in (
        ("ATK", "5302", "1250000", date(YEAR, 5, 15)),
        ("Honor pengurus", "5301", "6000000", date(YEAR, 12, 15)),
    ):
        journal_post(
            on=on,
            description=name,
            source="manual",
            by=by,
            lines=[
                LineSpec(Account.objects.get(code=code), debit=D(amount)),
                LineSpec(account_for_role("cash"), credit=D(amount)),
            ],
        )
    loan_reschedule(loan=l5, by=staff["ketua"], tenor=18, reason="Mutasi", on=date(YEAR, 9, 15))
    exit_settlement_confirm(member=base["m2"], reason="resigned", on=date(YEAR, 11, 30), by=by)
    # December's payroll deduction: everything asked is cut, but nothing of m6's
    run = make_run(on=date(YEAR, 12, 20), by=by)
    lines = list(DeductionLine.objects.filter(run=run).select_related("member__agency"))
    for ag in {ln.member.agency for ln in lines}:
        rows = [
            (ln.member.nip, 0 if ln.member_id == m6.pk else int(ln.total))
            for ln in lines
            if ln.member.agency_id == ag.pk
        ]
        imp = deduction_import_upload(
            run=run, agency=ag, content=csv_bytes(rows), file_name="realisasi.csv", by=by
        )
        assert imp.status == "valid", (imp.errors, imp.file_errors)
        deduction_import_post(imp=imp, by=by, on=date(YEAR, 12, 27))
    loans_arrears_update(on=date(YEAR, 12, 31), by=by)
    l6.refresh_from_db()
    loan_write_off(
        loan=l6, by=staff["ketua"], on=date(YEAR, 12, 31), reason="Macet", decision_ref="SK-9"
    )
    close_preliminaries(by)
    return base | {"m4": m4, "m5": m5, "m6": m6, "l4": l4, "l5": l5, "l6": l6}


@pytest.fixture(scope="module")
def walk_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The year built, closed and its SHU posted after the RAT, once for the module (never
    committed)."""

    def build():
        from core.yearend.services import shu_post, yearend_close

        staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
        year = auditor_year(staff)
        yearend_close(year=YEAR, by=staff["bendahara"])
        shu_post(
            year=YEAR, rat_date=date(YEAR + 1, 3, 10), rat_decision="01/RAT", by=staff["bendahara"]
        )
        return {"staff": staff, "year": year}

    with module_uncommitted(django_db_blocker, tmp_path_factory, build) as built:
        yield built


@pytest.fixture
def walk(walk_once, in_tenant_a):
    return copy.deepcopy(walk_once["year"])


def _tables() -> dict[str, dict]:
    from core.yearend.rat import rat_pack_tables

    return {str(t["title"]): t for t in rat_pack_tables(year=YEAR)}


def _laid_out_pages():
    """The RAT pack as WeasyPrint lays it out: per page its size, its right content edge
    and every line of text with where it ends."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from core.yearend.rat import rat_pack_html

    doc = HTML(string=rat_pack_html(year=YEAR)).render()
    out = []
    for page in doc.pages:
        box = page._page_box
        texts = [
            (b.text, b.position_x + b.width)
            for b in box.descendants()
            if isinstance(b, boxes.TextBox)
        ]
        right = box.margin_width() - box.margin_right
        out.append({"width": page.width, "height": page.height, "right": right, "texts": texts})
    return out


def test_equity_statement_is_landscape_and_every_figure_fits_the_page(walk):
    """Seven columns of figures in the tens of billions: the page is turned (A4
    landscape), no text runs past the right margin, each figure stays on one line and
    the row names are not broken word by word."""
    pages = _laid_out_pages()
    page = next(p for p in pages if any(t == "LAPORAN PERUBAHAN EKUITAS" for t, _ in p["texts"]))
    assert page["width"] > page["height"]
    texts = [t for t, _ in page["texts"]]
    assert "Rp 25.000.000.000" in texts  # Ekuitas Saldo Awal, opening and closing
    assert "Rp 25.098.514.167" in texts  # the total's closing balance
    assert "Pemindahan antar-ekuitas" in texts
    assert "Hasil usaha periode ini (pendapatan − beban)" in texts  # on one line
    for p in pages:
        over = [(t, end) for t, end in p["texts"] if end > p["right"] + 0.5]
        assert not over, over


def _cells(table: dict) -> list[list]:
    return [
        [str(c) if not isinstance(c, Decimal | int) else c for c in r["cells"]]
        for r in table["rows"]
    ]


def test_collectibility_note_shows_each_grades_days_rate_and_ppap_base(walk):
    """The pengawas recomputes each grade's PPAP: rate × base. m4's loan (Rp 1,000,000 left)
    is Lancar: 0.5% = 5,000. m5's restructured loan (Rp 4,083,332 left, of which
    Rp 194,444 capitalised jasa not yet earned) is Kurang Lancar: 10% of 3,888,888 =
    388,889 — the base is the principal less the deferred jasa, said and shown; the
    restructured loans apart."""
    t = _tables()["Kolektibilitas pinjaman dan NPL"]
    assert [str(c) for c in t["columns"]] == [
        "",
        "Kolektibilitas",
        "Pinjaman",
        "Sisa pokok",
        "Dasar PPAP",
        "Tarif PPAP",
        "PPAP",
    ]
    rows = _cells(t)
    assert rows[:4] == [
        ["", "Lancar (0–90 hari)", 1, D("1000000"), D("1000000"), "0,5%", D("5000")],
        ["", "Kurang Lancar (91–180 hari)", 1, D("4083332"), D("3888888"), "10%", D("388889")],
        ["", "Diragukan (181–270 hari)", 0, D("0"), D("0"), "50%", D("0")],
        ["", "Macet (> 270 hari)", 0, D("0"), D("0"), "100%", D("0")],
    ]
    assert rows[4] == ["", "Jumlah", 2, D("5083332"), D("4888888"), "", D("393889")]
    assert rows[5] == [
        "",
        "Di antaranya pinjaman yang direstrukturisasi",
        1,
        D("4083332"),
        D("3888888"),
        "",
        D("388889"),
    ]
    notes = " ".join(str(r[1]) for r in rows[6:])
    assert "NPL: 80,33% (Tidak sehat)" in notes
    assert (
        "Dasar PPAP: sisa pokok dikurangi jasa ditangguhkan (Rp 194.444), jasa tertunggak "
        "yang dikapitalisasi saat restrukturisasi dan belum menjadi pendapatan." in notes
    )


def test_calk_lists_the_loans_written_off_and_the_ppap_they_used(walk):
    """m6's loan (Rp 3,000,000, never paid) was Macet at 31 December, its allowance 100%,
    and written off that day by the board's decision SK-9: the notes list it, and the
    PPAP movement shows the allowance used for it apart from releases, decreases
    negative so that the column foots (as the loans receivable's note)."""
    tables = _tables()
    wo = tables["CaLK: pinjaman dihapusbukukan"]
    assert str(wo["subtitle"]) == f"Tahun buku {YEAR}"
    assert _cells(wo) == [
        [
            walk["l6"].number,
            "A00006 Enam",
            f"31 Desember {YEAR}",
            "Keputusan pengurus",
            "SK-9",
            D("3000000"),
            D("0"),
            D("3000000"),
            D("0"),
        ],
        ["Jumlah", "", "", "", "", D("3000000"), D("0"), D("3000000"), D("0")],
    ]
    ppap = tables["CaLK: mutasi penyisihan penghapusan piutang (PPAP)"]
    assert _cells(ppap) == [
        ["", "Saldo awal", D("0")],
        ["", "Penambahan (beban PPAP)", D("3393889")],
        ["", "Dipakai untuk pinjaman dihapusbukukan", D("-3000000")],
        ["", "Pemulihan (PPAP dilepas)", D("0")],
        ["", "Saldo akhir", D("393889")],
    ]


def test_calk_loan_receivable_movement_foots_to_the_balance_sheet(walk):
    """Piutang pinjaman from 1 January to 31 December, by hand: four loans paid out
    (10,000,000 + 3,000,000 + 6,000,000 + 5,000,000), m5's overdue jasa of May to
    September capitalised at its restructuring (5 × 50,000), principal received at the
    counter and by December's payroll deduction (m1 10,000,000, m4 5,000,000, m5 4 ×
    291,667), m6's loan written off; the closing balance is the balance sheet's two loan
    lines (due within 12 months and after)."""
    tables = _tables()
    t = tables["CaLK: mutasi piutang pinjaman anggota"]
    assert _cells(t) == [
        ["", "Saldo awal", D("0")],
        ["", "Pinjaman dicairkan", D("24000000")],
        ["", "Jasa tertunggak dikapitalisasi (restrukturisasi)", D("250000")],
        ["", "Angsuran pokok diterima (kasir dan potong gaji)", D("-16166668")],
        ["", "Pinjaman dihapusbukukan", D("-3000000")],
        ["", "Saldo akhir", D("5083332")],
    ]
    bs = tables["Neraca"]
    loans = [r["cells"][2] for r in bs["rows"] if r["cells"][0] == "1103"]
    assert loans == [D("4208337"), D("874995")] and sum(loans) == D("5083332")


def test_default_policies_say_how_jasa_and_ppap_are_booked(walk):
    """The books recognise loan jasa when it is received (no jasa accrued month by month),
    defer capitalised jasa, accrue savings jasa monthly and take PPAP per loan at the
    grade's rate: the policies note the pack starts from says so, not only "akrual"."""
    from core.yearend.rat import rat_report_for

    policies = rat_report_for(year=YEAR).policies
    assert "kecuali pendapatan jasa pinjaman, yang diakui pada saat diterima" in policies
    assert "pendapatan jasa ditangguhkan" in policies
    assert "Beban jasa simpanan diakui setiap akhir bulan" in policies
    assert "dikurangi jasa ditangguhkan, dengan tarif menurut kolektibilitas" in policies
    assert "dihapusbukukan dengan keputusan pengurus" in policies


def test_the_statements_and_notes_tie_as_read_by_hand(walk):
    """What the walk read and found right, kept: each note's figure is the statement line
    it explains and the sum of its parts."""
    tables = _tables()

    def line(title, code_or_label, col=2):
        t = tables[title]
        return [
            r["cells"][col] for r in t["rows"] if code_or_label in (r["cells"][0], r["cells"][1])
        ]

    bs = "Neraca"
    # kas & bank = the cash flow's closing cash: opening 25,000,000,000 + 97,026,669
    cash = line(bs, "1101")[0] + line(bs, "1102")[0]
    assert (
        cash == D("25097026669") == line("Laporan Arus Kas", "KAS DAN SETARA KAS AKHIR PERIODE")[0]
    )
    # equity statement's closing total = the balance sheet's equity
    eq = tables["Laporan Perubahan Ekuitas"]
    assert eq["rows"][-1]["cells"][6] == line(bs, "JUMLAH EKUITAS")[-1] == D("25098514167")
    # savings by kind = the balance sheet's savings lines; accounts held at 31 December
    sav = {r["cells"][0]: r["cells"][2:] for r in tables["Portofolio simpanan"]["rows"]}
    assert sav["SP"] == [4, D("400000")] and line(bs, "3101") == [D("400000")]
    assert sav["SW"] == [5, D("6900000")] and line(bs, "3102") == [D("6900000")]
    assert sav["SS"] == [3, D("3007501")] and line(bs, "2101") == [D("3007501")]
    # PPAP: the note's closing = the contra line = the collectibility total
    assert line("CaLK: mutasi penyisihan penghapusan piutang (PPAP)", "Saldo akhir") == [
        D("393889")
    ]
    assert line(bs, "1104") == [D("-393889")]
    kolek = tables["Kolektibilitas pinjaman dan NPL"]
    assert next(r for r in kolek["rows"] if r["kind"] == "total")["cells"][6] == D("393889")
    # the write-offs' "from PPAP" = the PPAP note's use for write-offs (a decrease there)
    used = line(
        "CaLK: mutasi penyisihan penghapusan piutang (PPAP)",
        "Dipakai untuk pinjaman dihapusbukukan",
    )
    assert line("CaLK: pinjaman dihapusbukukan", "Jumlah", 7) == [-used[0]] == [D("3000000")]
    # each movement note foots: opening + the lines = closing
    for title in (
        "CaLK: mutasi piutang pinjaman anggota",
        "CaLK: mutasi penyisihan penghapusan piutang (PPAP)",
    ):
        figures = [r["cells"][2] for r in tables[title]["rows"]]
        assert sum(figures[:-1]) == figures[-1], title
    # SHU: the income statement's result = the split = SHU belum dibagi at 31 December
    shu = D("91214167")
    assert line("Laporan Perhitungan Hasil Usaha", "SISA HASIL USAHA (SHU) SETELAH PAJAK") == [shu]
    assert line(bs, "3107") == [shu]
    split = tables[f"Pembagian SHU tahun buku {YEAR}"]
    assert split["rows"][-1]["cells"][3] == shu
    funds = {str(r["cells"][1]): r["cells"][3] for r in split["rows"]}
    assert funds["Jasa modal (anggota)"] == funds["Jasa anggota / usaha (anggota)"] == 22803542
    assert funds["Cadangan"] == D("18242833")  # 20% and the rupiah fractions
    per_member = tables[f"SHU per anggota tahun buku {YEAR}"]["rows"]
    assert per_member[-1]["cells"][4:] == [D("22803542"), D("22803542"), D("45607084")]
    # members: 3 at the start, m4-m6 joined, m2 left
    stats = {
        str(r["cells"][1]): r["cells"][2] for r in tables[f"Statistik anggota tahun {YEAR}"]["rows"]
    }
    assert [
        stats[k]
        for k in (
            "Anggota awal tahun",
            "Masuk selama tahun",
            "Keluar selama tahun",
            "Anggota akhir tahun",
        )
    ] == [3, 3, 1, 5]
    # restructured: m5's loan, its principal before and its tenors
    r = tables["Pinjaman yang direstrukturisasi"]["rows"]
    assert [c if not isinstance(c, str) else c for c in r[0]["cells"]] == [
        walk["l5"].number,
        "Lima",
        f"15 September {YEAR}",
        D("5000000"),
        "10 → 18",
    ]
