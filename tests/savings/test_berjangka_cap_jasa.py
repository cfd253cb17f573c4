"""A berjangka product's term caps what the member deposits (monthly amount × term, "total
setoran"), not the jasa simpanan an interest-bearing product credits on top: the last
agreed deposit at the counter is accepted although the balance holds the jasa, and the
deposits themselves still stop at the target. Jasa paid out with an earlier cycle's
payout no longer counts (the account was emptied then).

Hand figures: Rp 100,000 a month for 10 months = Rp 1,000,000; jasa 6 % a year on the
average daily balance = 0.5 % a month."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.common.errors import ApplicationError
from core.savings.services import (
    berjangka_deposited,
    savings_account_open,
    savings_interest_accrue,
    teller_deposit,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def hari_raya(products, year):
    p = products["berjangka"]
    p.amount = D("100000")
    p.term_months = 10
    p.payout_date = date(year, 3, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.interest_basis = "average"
    p.save()
    return p


def _deposit(acc, amount, on, by):
    return teller_deposit(account=acc, amount=D(amount), channel="cash", on=on, by=by)


def test_the_last_agreed_deposit_is_accepted_with_the_jasa_in_the_balance(
    hari_raya,
    teller,
    bendahara,
    year,
):
    """900,000 deposited on 1 January; January's jasa 900,000 × 0.5 % = 4,500 makes the
    balance 904,500. The tenth 100,000 is the member's due (900,000 + 100,000 deposited =
    the 1,000,000 target): accepted, the balance 1,004,500. One rupiah more is refused."""
    acc = savings_account_open(
        member=f.member(), product=hari_raya, on=date(year, 1, 1), payout_date=date(year, 11, 1)
    )
    _deposit(acc, "900000", date(year, 1, 1), teller)
    assert savings_interest_accrue(
        product=hari_raya, year=year, month=1, by=bendahara
    ).gross_interest == D("4500")
    acc.refresh_from_db()
    assert (acc.balance, berjangka_deposited(acc)) == (D("904500"), D("900000"))
    _deposit(acc, "100000", date(year, 2, 2), teller)
    acc.refresh_from_db()
    assert (acc.balance, berjangka_deposited(acc)) == (D("1004500"), D("1000000"))
    with pytest.raises(ApplicationError) as e:
        _deposit(acc, "1", date(year, 2, 2), teller)
    assert e.value.code == "savings_term_exceeded"
    assert "Rp 1.000.000" in e.value.message
    assert_reconciled()


def test_jasa_paid_out_with_the_last_cycle_no_longer_counts(hari_raya, teller, bendahara, year):
    """Paid out in full on 2 February (904,500, January's jasa with it, and 1
    February's, 904,500 / 28 × 0.5 % = 161.52 → 162, credited by the payout: 904,662):
    the next cycle starts at zero, its deposits capped from zero (January's 4,500 no
    longer counts); February's jasa, credited after the payout, is jasa on the new
    cycle's balance, not a deposit."""
    acc = savings_account_open(
        member=f.member(), product=hari_raya, on=date(year, 1, 1), payout_date=date(year, 2, 1)
    )
    _deposit(acc, "900000", date(year, 1, 1), teller)
    savings_interest_accrue(product=hari_raya, year=year, month=1, by=bendahara)
    teller_withdraw(account=acc, amount=D("904662"), channel="cash", on=date(year, 2, 2), by=teller)
    _deposit(acc, "1000000", date(year, 2, 3), teller)  # the next cycle's whole target
    acc.refresh_from_db()
    assert berjangka_deposited(acc) == D("1000000")
    # February from the payout day (1 February was paid with it): 1,000,000 from the 3rd
    # (26 days): 26 × 1,000,000 / 28 × 0.5 % = 4,642.86 → 4,643
    run = savings_interest_accrue(product=hari_raya, year=year, month=2, by=bendahara)
    assert run.gross_interest == D("4643")
    acc.refresh_from_db()
    assert (acc.balance, berjangka_deposited(acc)) == (D("1004643"), D("1000000"))
    with pytest.raises(ApplicationError) as e:
        _deposit(acc, "1", date(year, 3, 2), teller)
    assert e.value.code == "savings_term_exceeded"
    assert_reconciled()


def test_a_payout_taken_back_does_not_start_a_cycle(hari_raya, teller, bendahara, year):
    """The full payout of 2 February (904,662 with 1 February's jasa) cancelled the same
    day: the account holds its 904,500 again (1 February's jasa taken back with it), of
    which January's 4,500 is jasa: 900,000 deposited, 100,000 room."""
    from core.savings.services import teller_reverse

    acc = savings_account_open(
        member=f.member(), product=hari_raya, on=date(year, 1, 1), payout_date=date(year, 2, 1)
    )
    _deposit(acc, "900000", date(year, 1, 1), teller)
    savings_interest_accrue(product=hari_raya, year=year, month=1, by=bendahara)
    out = teller_withdraw(
        account=acc, amount=D("904662"), channel="cash", on=date(year, 2, 2), by=teller
    )
    teller_reverse(txn=out, on=date(year, 2, 2), reason="salah anggota", by=bendahara)
    acc.refresh_from_db()
    assert (acc.balance, berjangka_deposited(acc)) == (D("904500"), D("900000"))
    _deposit(acc, "100000", date(year, 2, 3), teller)
    with pytest.raises(ApplicationError):
        _deposit(acc, "1", date(year, 2, 3), teller)
    assert_reconciled()
