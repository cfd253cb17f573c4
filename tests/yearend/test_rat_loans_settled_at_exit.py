"""The RAT pack's loans receivable note with a loan settled at a member's exit (apart from
``test_auditor_walk``, whose module-wide year closes the books this test writes in)."""

from datetime import date
from decimal import Decimal

from tests.members import factories as f

from .conftest import YEAR, close_preliminaries, year_of
from .test_auditor_walk import _cells, _tables

D = Decimal


def test_loan_settled_at_exit_is_its_own_line_of_the_loans_note(in_tenant_a):
    """m1 (``year_of``: 10,000,000 lent in February, four instalments of 1,000,000
    principal paid) tops up sukarela and leaves on 31 August: the exit settles the
    6,000,000 left from the savings. The loans note says so in a line of its own, and
    foots to nothing left."""
    from core.exits.services import exit_settlement_confirm
    from core.yearend.services import yearend_close

    from .conftest import _deposit

    staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
    by = staff["bendahara"]
    y = year_of(staff)
    _deposit(y["m1"], "sukarela", "3000000", date(YEAR, 7, 1), by)
    exit_settlement_confirm(member=y["m1"], reason="resigned", on=date(YEAR, 8, 31), by=by)
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    assert _cells(_tables()["CaLK: mutasi piutang pinjaman anggota"]) == [
        ["", "Saldo awal", D("0")],
        ["", "Pinjaman dicairkan", D("10000000")],
        ["", "Jasa tertunggak dikapitalisasi (restrukturisasi)", D("0")],
        ["", "Angsuran pokok diterima (kasir dan potong gaji)", D("-4000000")],
        ["", "Pinjaman dihapusbukukan", D("0")],
        ["", "Diselesaikan saat anggota keluar", D("-6000000")],
        ["", "Saldo akhir", D("0")],
    ]
