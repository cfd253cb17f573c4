"""The old books' unpaid SHU of two years brought in at the same moment (two treasurers,
or the page and the API), each asking for more than half of what SHU payable holds
naming no member: separate connections, real commits. The account row is locked before
the unassigned balance is read, so the second waits, reads what the first left, and is
refused; no rupiah is assigned twice and the account still equals the shares."""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.yearend.models import MemberShare, YearEnd
from core.yearend.old_books import shu_old_books_bring_in, shu_old_books_undo, shu_unassigned
from core.yearend.selectors import shu_subledger_check
from core.yearend.services import shu_payout
from tests.concurrency import two_clerks
from tests.members import factories as f

from .conftest import opening_lump

D = Decimal


def test_two_old_years_at_once_never_assign_the_same_rupiah_twice(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    by = f.user("bendahara")
    m1, m2 = f.member(full_name="Satu"), f.member(full_name="Dua")
    today = timezone.localdate()
    payable = account_for_role("shu_members_payable")
    opening_lump(by)

    def bring(year: int, member):
        return lambda: shu_old_books_bring_in(
            year=year,
            rat_date=date(year + 1, 3, 1),
            rat_decision=f"01/RAT/{year}",
            rows=[{"member_number": member.number, "jma": "200.000", "jua": "0"}],
            by=by,
        )

    out = two_clerks(scratch_tenant, bring(today.year - 2, m1), bring(today.year - 3, m2))
    assert sorted(out.values()) == ["ok", "shu_old_books_exceeds_unassigned"], out
    assert YearEnd.objects.filter(old_books=True).count() == 1
    assert [s.total for s in MemberShare.objects.all()] == [D("200000")]
    assert account_balance(account=payable) == D("300000")
    assert shu_unassigned() == D("100000")
    # the shares' unpaid total is what the account holds for members
    assert all(r.difference == 0 for r in shu_subledger_check()[:2])


def _brought_in(scratch_tenant):
    """Rp 300.000 naming no member, brought in for one member; the treasurer, member, year."""
    connection.set_tenant(scratch_tenant)
    by = f.user("bendahara")
    m = f.member(full_name="Satu")
    today = timezone.localdate()
    opening_lump(by)
    year = today.year - 2
    shu_old_books_bring_in(
        year=year,
        rat_date=date(year + 1, 3, 1),
        rat_decision="01/RAT",
        rows=[{"member_number": m.number, "jma": "300.000", "jua": "0"}],
        by=by,
    )
    return by, m, year


def test_undo_and_a_payout_at_once_one_wins_and_the_books_agree(scratch_tenant):
    """The payout first (holding the year's row), the undo meanwhile: the undo waits,
    sees the payout and is refused; the other way round, the payout finds no year."""
    by, m, year = _brought_in(scratch_tenant)
    out = two_clerks(
        scratch_tenant,
        lambda: shu_payout(year=year, items=[(m.pk, None)], method="cash", by=by),
        lambda: shu_old_books_undo(year=year, reason="salah ketik", by=by),
    )
    assert out == {"1": "ok", "2": "shu_old_books_used"}, out
    assert YearEnd.objects.filter(year=year).exists()
    assert all(r.difference == 0 for r in shu_subledger_check())


def test_an_undo_then_a_payout_at_once_the_payout_finds_no_year(scratch_tenant):
    by, m, year = _brought_in(scratch_tenant)
    out = two_clerks(
        scratch_tenant,
        lambda: shu_old_books_undo(year=year, reason="salah ketik", by=by),
        lambda: shu_payout(year=year, items=[(m.pk, None)], method="cash", by=by),
    )
    assert out == {"1": "ok", "2": "year_not_closed"}, out
    assert not YearEnd.objects.filter(year=year).exists() and not MemberShare.objects.exists()
    assert shu_unassigned() == D("300000")
    assert account_balance(account=account_for_role("shu_members_payable"), member_id=m.pk) == 0


def test_two_undos_at_once_reverse_the_entry_once(scratch_tenant):
    by, _m, year = _brought_in(scratch_tenant)
    undo = lambda: shu_old_books_undo(year=year, reason="salah ketik", by=by)  # noqa: E731
    out = two_clerks(scratch_tenant, undo, undo)
    assert out == {"1": "ok", "2": "shu_old_books_not_brought_in"}, out
    assert JournalEntry.objects.filter(source="reversal").count() == 1
    assert shu_unassigned() == D("300000")
