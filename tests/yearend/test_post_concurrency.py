"""The SHU posted twice at the same moment (two treasurers, or the screen and the API,
after the RAT): separate connections, real commits. Exactly one posts; the other is
refused as posted already. One posting entry, the shares saved once, SHU belum dibagi
emptied once, and the shares' unpaid total is the members' SHU payable in the ledger."""

from datetime import date
from decimal import Decimal

from django.db import connection

from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import fiscal_year_ensure
from core.yearend.models import MemberShare
from core.yearend.selectors import shu_subledger_check
from core.yearend.services import shu_post, yearend_close
from tests.concurrency import two_clerks
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries, year_result_post

D = Decimal
RAT = date(YEAR + 1, 3, 1)


def _closed_year():
    """Two savers (capital 100,000 and 300,000: pokok, and pokok + wajib), Rp 10,000,001 other income: SHU after
    tax Rp 10,000,001, jasa modal 2,500,001 (the extra rupiah by the largest remainder,
    to the first fund) → 625,000 and 1,875,001 (0.25 and 0.75 of it: the leftover rupiah
    to the larger remainder). Closed, not posted."""
    by = f.user("bendahara")
    fiscal_year_ensure(year=YEAR)
    m1, m2 = f.member(full_name="Satu"), f.member(full_name="Dua")
    _deposit(m1, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m2, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(m2, "wajib", "200000", date(YEAR, 1, 10), by)
    year_result_post(by, "10000001")
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    return by, m1, m2


def test_two_postings_at_once_post_once(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    by, m1, m2 = _closed_year()

    def post():
        shu_post(year=YEAR, rat_date=RAT, rat_decision="07/RAT", by=by)

    out = two_clerks(scratch_tenant, post, post)
    assert sorted(out.values()) == ["ok", "shu_already_posted"], out
    assert JournalEntry.objects.filter(source="shu", source_ref=f"yearend:{YEAR}:post").count() == 1
    shares = {s.member_id: s.total for s in MemberShare.objects.all()}
    assert shares == {m1.pk: D("625000"), m2.pk: D("1875001")}
    assert account_balance(account=account_for_role("shu_undistributed")) == 0
    assert account_balance(account=account_for_role("shu_members_payable")) == D("2500001")
    assert [r.difference for r in shu_subledger_check()] == [0, 0, 0]
