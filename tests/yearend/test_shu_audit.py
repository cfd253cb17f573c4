"""An auditor trying to break the SHU distribution, each case against a figure computed
by hand.

- Awkward pools in the maths: 1 rupiah, a prime number of rupiah, a pool smaller than
  the number of members, three members each holding a third: the shares are whole rupiah
  and sum to the pool exactly (nothing left over to state), the extra rupiah going to the
  largest remainders, ties by member number.
- A whole year with an SHU after tax of Rp 7 (a prime) and three members with equal
  capital, nobody paying loan jasa, posted, partly paid and a payout reversed: each
  member's SHU payable in the ledger equals their share less what was paid, the control
  account equals the shares' unpaid total, and the daily sub-ledger reconciliation says
  so (before, it had no SHU check: a manual journal line on *SHU Bagian Anggota Belum
  Dibayar* naming a member went unnoticed; now the account takes no manual line at
  all). Posting twice is refused, nothing posted.
- A year with an SHU of exactly zero and one with a deficit: no distribution, nothing
  posted, and a message that says which (before, a zero year was called a deficit).
"""

from datetime import date
from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from core.yearend import allocation as alloc
from core.yearend.models import MemberShare, YearEnd
from core.yearend.rat import rat_pack_tables
from core.yearend.reversal import shu_payout_reverse
from core.yearend.selectors import shu_preview, shu_subledger_check
from core.yearend.services import shu_payout, shu_post, yearend_close
from tests.members import factories as f

from .conftest import REMAINDER_NOTE, YEAR, _deposit, close_preliminaries, year_result_post

D = Decimal
RAT = date(YEAR + 1, 3, 1)
PAID_ON = date(YEAR + 1, 3, 2)


# ------------------------------------------------------------------ the maths alone


def _shares(pool: int, capitals: list[int]) -> list[int]:
    members = [
        alloc.MemberInput(member_id=i + 1, number=f"A{i + 1:04d}", capital=D(c), contribution=D(0))
        for i, c in enumerate(capitals)
    ]
    got = alloc.allocate_members(members=members, jma_pool=D(pool), jua_pool=D(0))
    return [int(r.jma) for r in got.shares]


@pytest.mark.parametrize(
    ("pool", "capitals", "expected"),
    [
        # 1 rupiah, three equal members: the lowest member number takes it
        (1, [1_000_000, 1_000_000, 1_000_000], [1, 0, 0]),
        # 7,919 (a prime) among three equal: 2,639.67 each → 2,639 + the two rupiah left
        # to the first two by number
        (7919, [1_000_000, 1_000_000, 1_000_000], [2640, 2640, 2639]),
        # 2 rupiah among five members weighing 1..5 (of 15): quotas 0.13, 0.27, 0.40,
        # 0.53, 0.67 → the two largest remainders
        (2, [100_000, 200_000, 300_000, 400_000, 500_000], [0, 0, 0, 1, 1]),
        # 100 rupiah, three members each a third: 33.33 → 34, 33, 33
        (100, [333_333, 333_333, 333_333], [34, 33, 33]),
        # a member with nothing never takes a leftover rupiah
        (5, [0, 1, 1, 0, 1], [0, 2, 2, 0, 1]),
    ],
)
def test_awkward_pools_split_in_whole_rupiah_summing_to_the_pool(pool, capitals, expected):
    got = _shares(pool, capitals)
    assert got == expected
    assert sum(got) == pool


def test_seven_rupiah_split_into_the_funds_by_hand():
    """Rp 7 by 25/25/20/10/10/5/2.5/2.5: quotas 1.75, 1.75, 1.4, 0.7, 0.7, 0.35, 0.175,
    0.175 → 1, 1, 1 and four rupiah left to the largest remainders (0.75, 0.75, 0.7,
    0.7; ties in the funds' order): 2, 2, 1, 1, 1, 0, 0, 0."""
    split = alloc.split_funds(amount=D("7"), percentages=alloc.DEFAULT_PERCENTAGES)
    assert [split.funds[k] for k in alloc.FUNDS] == [2, 2, 1, 1, 1, 0, 0, 0]
    assert split.residue == 0 and split.sen == 0


# -------------------------------------------------------------- a whole tiny year


def _rat_allocation_rows() -> list[list]:
    table = next(t for t in rat_pack_tables(year=YEAR) if "Pembagian SHU" in str(t["title"]))
    return [[str(c) if isinstance(c, str) else c for c in r["cells"]] for r in table["rows"]]


def _payable_of(member_id: int) -> Decimal:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member_id)


def _books_agree_with_shares() -> None:
    """Each member's SHU payable in the ledger is their shares less what was paid; the
    control account is the shares' unpaid total; the reconciliation finds no difference."""
    shares = list(MemberShare.objects.all())
    for s in shares:
        assert _payable_of(s.member_id) == s.total - s.paid, s.member_id
    unpaid = sum((s.total - s.paid for s in shares), D(0))
    assert account_balance(account=account_for_role("shu_members_payable")) == unpaid
    rows = shu_subledger_check()
    assert rows and all(r.difference == 0 for r in rows), rows
    run = subledgers_reconcile()
    shu = [r for r in run.results if r["subledger"] == "shu"]
    assert shu and all(r["ok"] for r in shu), run.results


def test_seven_rupiah_year_posted_paid_and_reversed_keeps_the_sub_ledger(
    seven_rupiah_year, client_as
):
    """Split as above: jasa modal 2 to the first two members by number (1 each, the
    third 0), jasa anggota 2 to cadangan (nobody paid jasa): cadangan 1 + 2 = 3,
    pengurus 1, pendidikan 1."""
    by = seven_rupiah_year["by"]
    m1, m2, m3 = seven_rupiah_year["members"]
    p = shu_preview(year=YEAR)
    assert {r.member_id: r.total for r in p.allocation.shares} == {m1.pk: 1, m2.pk: 1, m3.pk: 0}
    assert p.funds == {
        "jasa_modal": 2,
        "jasa_anggota": 0,
        "cadangan": 3,
        "pengurus": 1,
        "pendidikan": 1,
        "karyawan": 0,
        "pembangunan": 0,
        "sosial": 0,
    }
    assert p.to_reserve == {"jasa_modal": 0, "jasa_anggota": 2}
    shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=by)
    assert account_balance(account=account_for_role("shu_undistributed")) == 0
    assert account_balance(account=account_for_role("reserve")) == 3
    _books_agree_with_shares()

    # posting twice: refused, nothing posted
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=by)
    assert e.value.code == "shu_already_posted"
    assert JournalEntry.objects.count() == entries
    assert MemberShare.objects.count() == 3

    # one member paid, then the payout reversed, then paid again
    (payout,) = shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=PAID_ON)
    assert _payable_of(m1.pk) == 0 and _payable_of(m2.pk) == 1
    _books_agree_with_shares()
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=PAID_ON)
    assert e.value.code == "shu_already_paid"
    shu_payout_reverse(payout=payout, reason="salah orang", by=by, on=PAID_ON)
    assert _payable_of(m1.pk) == 1
    _books_agree_with_shares()
    shu_payout(year=YEAR, items=[(m1.pk, None), (m2.pk, 1)], method="cash", by=by, on=PAID_ON)
    assert account_balance(account=account_for_role("shu_members_payable")) == 0
    _books_agree_with_shares()
    # the RAT pack says where jasa modal's leftover rupiah went: the quotas (0.67 each)
    # round down to 0, the 2 rupiah left go one each to the first two by number
    assert ["", REMAINDER_NOTE, "", ""] in _rat_allocation_rows()
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/pratinjau/")
    assert REMAINDER_NOTE in page.content.decode()
    # a member with Rp 0 is not payable (nothing to pay, not "already paid")
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m3.pk, None)], method="cash", by=by, on=PAID_ON)
    assert e.value.code == "shu_payout_invalid"


def test_a_manual_line_on_shu_payable_is_refused_and_the_reconciliation_still_looks(
    seven_rupiah_year,
):
    """SHU bagian anggota is a control account (ledger 0028): a manual payment of a
    member's SHU outside the year end is refused, nothing posted. A line from elsewhere
    that no payout explains (here an entry of source *other* naming the member) leaves
    the share unpaid while the ledger says paid: the daily reconciliation says so; and a
    line naming no member shows as *saldo tanpa nama anggota*."""
    by = seven_rupiah_year["by"]
    m1 = seven_rupiah_year["members"][0]
    shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=by)
    payable = account_for_role("shu_members_payable")
    before = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        journal_post(
            on=PAID_ON,
            description="SHU dibayar tunai (manual)",
            source="manual",
            by=by,
            lines=[
                LineSpec(payable, debit=D("1"), member_id=m1.pk),
                LineSpec(account_for_role("cash"), credit=D("1")),
            ],
        )
    assert e.value.code == "control_account" and payable.code in str(e.value.message)
    assert JournalEntry.objects.count() == before
    assert [r.difference for r in shu_subledger_check()] == [D("0"), D("0"), D("0")]

    journal_post(
        on=PAID_ON,
        description="SHU dibayar tunai (lain)",
        source="other",
        source_ref="shu-audit-1",
        by=by,
        lines=[
            LineSpec(payable, debit=D("1"), member_id=m1.pk),
            LineSpec(payable, credit=D("2")),
            LineSpec(account_for_role("cash"), debit=D("1")),
        ],
    )
    rows = {r.item: r for r in shu_subledger_check()}
    assert [r.difference for r in rows.values()] == [D("1"), D("1"), D("-2")], rows
    assert rows["saldo tanpa nama anggota"].ledger_balance == D("2")
    run = subledgers_reconcile()
    assert not run.ok
    assert [r["ok"] for r in run.results if r["subledger"] == "shu"] == [False, False, False]


# ------------------------------------------------------------- nothing to share out


def test_a_zero_shu_year_is_not_called_a_deficit_and_posts_nothing(staff):
    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    m = f.member(full_name="Satu")
    _deposit(m, "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(
        by, "50000", debit="savings_interest_expense", description="Pendapatan dan beban sama"
    )
    close_preliminaries(by)
    assert yearend_close(year=YEAR, by=by).shu_after_tax == 0
    entries = JournalEntry.objects.count()
    for attempt in (
        lambda: shu_preview(year=YEAR),
        lambda: shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=by),
    ):
        with pytest.raises(ApplicationError) as e:
            attempt()
        assert e.value.code == "shu_deficit"
        assert "defisit" not in str(e.value.message).lower()
        assert str(e.value.message) == (
            f"Tahun buku {YEAR} tidak menghasilkan SHU: tidak ada yang dibagi."
        )
    assert JournalEntry.objects.count() == entries
    assert not MemberShare.objects.exists()
    assert YearEnd.objects.get(year=YEAR).status == "closed"


def test_a_deficit_year_names_the_deficit_and_posts_nothing(staff):
    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    m = f.member(full_name="Satu")
    _deposit(m, "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(
        by, "1234567", debit="savings_interest_expense", credit="cash", description="Beban"
    )
    close_preliminaries(by)
    assert yearend_close(year=YEAR, by=by).shu_after_tax == D("-1234567")
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=by)
    assert e.value.code == "shu_deficit"
    assert "defisit Rp 1.234.567" in str(e.value.message)
    assert JournalEntry.objects.count() == entries
    assert not MemberShare.objects.exists()
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m.pk, None)], method="cash", by=by, on=PAID_ON)
    assert JournalEntry.objects.count() == entries


# ------------------------------------------------ capital gone by the year end


def test_capital_held_all_year_and_gone_by_31_december_counts_only_on_the_average(year_data):
    """Tiga (the conftest's m3) holds sukarela 1,000,000 from 10 January and withdraws it
    all on 1 December; sukarela counted as capital. Year-end basis: capital 0 (no JMA);
    average basis: eleven month-ends of 1,000,000 and December's 0 → 11,000,000 ÷ 12 =
    916,666.66 (to the sen, rounded down). As the settings say (docs/yearend.md)."""
    from core.savings.models import SavingsAccount
    from core.savings.services import teller_withdraw
    from core.yearend.models import ShuSettings
    from core.yearend.selectors import member_inputs

    m3, by = year_data["m3"], year_data["by"]
    acc = SavingsAccount.objects.get(member=m3, product__kind="sukarela")
    teller_withdraw(account=acc, amount=D("1000000"), channel="cash", on=date(YEAR, 12, 1), by=by)

    def capital(**kw):
        s = ShuSettings(effective_year=YEAR, capital_includes_sukarela=True, **kw)
        return {i.member_id: i.capital for i in member_inputs(year=YEAR, settings=s)}[m3.pk]

    assert capital() == 0
    assert capital(capital_basis="average") == D("916666.66")


@pytest.mark.parametrize(
    ("units", "weights", "handed"),
    [
        (1, ["1000000", "1000000", "1000000"], 1),
        (7919, ["1000000", "1000000", "1000000"], 2),
        (100, ["333333", "333333", "333333"], 1),
        (6, ["1", "1", "1"], 0),  # divides evenly: nothing left to hand out
        (5, ["0", "0"], 0),  # nobody has a claim: the pool goes to cadangan
    ],
)
def test_units_handed_out_by_the_largest_remainder(units, weights, handed):
    assert alloc.remainder_units(units=units, weights=[D(w) for w in weights]) == handed
