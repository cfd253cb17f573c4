"""The RAT pack's loan portfolio counts what the year's books show: a disbursement of
December reversed in January of the next year was disbursed in the year (its entry, the
cash paid out and the receivable at 31 December are in the year's statements), and a
disbursement reversed within the year was not."""

from datetime import date
from decimal import Decimal

from core.loans.services.reversal import loan_disbursement_reverse
from core.yearend.rat import rat_pack_tables
from core.yearend.services import yearend_close

from .conftest import YEAR, close_preliminaries, loan_disbursed

D = Decimal


def _portfolio(year: int) -> dict:
    table = next(t for t in rat_pack_tables(year=year) if str(t["title"]) == "Portofolio pinjaman")
    return {str(r["cells"][1]): r["cells"][2] for r in table["rows"]}


def test_portfolio_counts_a_december_disbursement_reversed_in_january(year_data, staff):
    by = staff["bendahara"]
    product = year_data["loan"].product
    december = loan_disbursed(
        product, year_data["m2"], staff, on=date(YEAR, 12, 20), principal="5000000"
    )
    within = loan_disbursed(
        product, year_data["m3"], staff, on=date(YEAR, 11, 3), principal="2000000"
    )
    loan_disbursement_reverse(loan=within, by=by, reason="salah input", on=date(YEAR, 11, 4))
    # reversed after the year ended, before December was closed
    loan_disbursement_reverse(loan=december, by=by, reason="batal", on=date(YEAR + 1, 1, 5))
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)

    rows = _portfolio(YEAR)

    assert rows["Pinjaman dicairkan (jumlah)"] == 2
    assert rows["Pinjaman dicairkan (pokok)"] == D("15000000")
    # the ledger's receivable at 31 December holds the December loan whole
    assert rows["Piutang pinjaman akhir tahun (buku besar)"] == D("6000000") + D("5000000")
