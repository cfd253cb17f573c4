"""The jasa simpanan of the exit's own, unfinished month: a member who leaves on the 16th
held their sukarela for the 15 days before; the settlement credits that part of the month
by the product's basis (average daily balance: pro-rata to the exit date; minimum
balance: nothing, the month's lowest balance being the payout's zero, said on the
screen), PPh by the member's month across all their accounts, shown as its own line
before confirming and posted in the settlement's own entry (interest expense / tax
payable / sukarela). The month's run afterwards does not pay it again; reversing the
exit takes it back exactly (or keeps it when the month's run has passed meanwhile).

Hand-computed figures: jasa 6 % a year = 0.5 % a month on the average daily balance;
June has 30 days, an exit on 16 June leaves days 1-15 (the exit day's end-of-day
balance is the payout's zero, as for any withdrawal on a day)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db.models import Sum
from django.utils import timezone
from django.utils.html import escape

from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger.models import JournalEntry, JournalLine, Period
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import fiscal_year_ensure, period_close, period_reopen
from core.savings.models import SavingsTransaction
from core.savings.selectors import interest_tax_report
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    savings_interest_reverse,
    savings_product_create,
    teller_deposit,
)
from tests.members import factories as f
from tests.savings.conftest import assert_reconciled


def _year() -> int:
    """The year of the last June that has ended: this year from July on, else last year
    (the figures need May of 31 days and June of 30, and June's run possible)."""
    today = timezone.localdate()
    return today.year if today.month >= 7 else today.year - 1


def _d(month: int, day: int) -> date:
    return date(_year(), month, day)


@pytest.fixture(autouse=True)
def _books(in_tenant_a):
    """Before July the June is last year's: open it first, as an admin would (the books
    of the test cooperatives start this year)."""
    fiscal_year_ensure(year=_year())


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def sukarela(products):
    p = products["sukarela"]
    p.interest_basis = "average"
    p.interest_rate_annual = D("6")
    p.save()
    return p


def _saver(product, teller, amount, on=None, member=None):
    on = on or _d(5, 1)
    m = member or f.member()
    acc = savings_account_open(member=m, product=product, on=on)
    teller_deposit(account=acc, amount=amount, channel="bank", on=on, by=teller)
    return m, acc


def _run(product, month, by):
    return savings_interest_accrue(product=product, year=_year(), month=month, by=by)


def _live(acc, kind, month):
    """The account's live (not taken back) ``kind`` movements dated in the month of ``_year()``."""
    return list(
        SavingsTransaction.objects.filter(
            account=acc, kind=kind, on__year=_year(), on__month=month, reversed_by__isnull=True
        ).values_list("amount", flat=True)
    )


def _balances():
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    assert_reconciled()


def _role(role):
    return account_balance(account=account_for_role(role))


def test_exit_after_last_months_run_credits_the_days_before_the_exit_in_its_entry(
    sukarela, teller, bendahara
):
    """May run: 10,000,000 × 0.5 % = 50,000. Exit 16 June: 10,050,000 × 15/30 × 0.5 %
    = 25,125 (under the PPh threshold): paid out 10,050,000 + 25,125 = 10,075,125."""
    m, acc = _saver(sukarela, teller, D("10000000"))
    assert _run(sukarela, 5, bendahara).gross_interest == D("50000")
    expense = _role("savings_interest_expense")
    p = exit_settlement_preview(member=m, on=_d(6, 16))
    assert p.warnings == [] and not p.refused
    assert [(x["year"], x["month"], x["interest"], x["tax"], x["net"]) for x in p.interest] == [
        (_year(), 6, D("25125"), D("0"), D("25125"))
    ]
    line = p.interest[0]
    assert f"Juni {_year()}" in line["label"] and "1–15" in line["label"]
    assert line["until"] == _d(6, 16)
    assert p.interest_total == D("25125")
    assert p.net_payable == D("10075125")
    s = exit_settlement_confirm(
        member=m, reason="resigned", on=_d(6, 16), by=bendahara, expected_net=D("10075125")
    )
    assert (s.interest_credited, s.net_payable) == (D("25125"), D("10075125"))
    # credited on the exit date, in the settlement's own entry, then paid out with it
    credit = SavingsTransaction.objects.get(account=acc, kind="interest", on=_d(6, 16))
    assert credit.amount == D("25125") and credit.journal_entry_id == s.journal_entry_id
    assert not SavingsTransaction.objects.filter(account=acc, kind="tax").exists()
    lines = list(s.journal_entry.lines.values_list("account_id", "debit", "credit", "member_id"))
    exp_acc = account_for_role("savings_interest_expense")
    assert (exp_acc.pk, D("25125"), D("0"), None) in lines
    assert (sukarela.account_id, D("0"), D("25125"), m.pk) in lines
    assert (sukarela.account_id, D("10075125"), D("0"), m.pk) in lines
    assert (account_for_role("bank").pk, D("0"), D("10075125"), None) in [
        (a, d, c, None) for a, d, c, _m in lines
    ]
    assert s.details["interest"][0]["until"] == _d(6, 16).isoformat()
    assert _role("savings_interest_expense") - expense == D("25125")
    acc.refresh_from_db()
    assert acc.balance == 0 and acc.status == "closed"
    _balances()


def test_the_months_run_after_the_exit_pays_the_stayer_and_not_the_leaver_again(
    sukarela, teller, bendahara
):
    """Twins with 10,000,000 from 1 May; one leaves on 16 June (25,125 for June). The
    June run pays the stayer 10,050,000 × 0.5 % = 50,250 and the leaver nothing more."""
    leaver, l_acc = _saver(sukarela, teller, D("10000000"))
    _stayer, s_acc = _saver(sukarela, teller, D("10000000"))
    _run(sukarela, 5, bendahara)
    exit_settlement_confirm(member=leaver, reason="resigned", on=_d(6, 16), by=bendahara)
    expense = _role("savings_interest_expense")
    run = _run(sukarela, 6, bendahara)
    assert (run.accounts, run.gross_interest, run.tax) == (1, D("50250"), D("0"))
    assert _live(s_acc, "interest", 6) == [D("50250")]
    assert _live(l_acc, "interest", 6) == [D("25125")]
    assert _role("savings_interest_expense") - expense == D("50250")
    # the bukti potong list of June has both: the leaver's part month, the stayer's month
    gross = {r.member_id: r.gross for r in interest_tax_report(year=_year(), month=6)}
    assert gross[leaver.pk] == D("25125")
    _balances()


def test_a_month_not_run_and_the_exit_month_are_chained(sukarela, teller, bendahara):
    """No run yet: May is credited as the run would (50,000, dated 31 May, its own
    entry), June's part on top of it: 10,050,000 × 15/30 × 0.5 % = 25,125."""
    m, acc = _saver(sukarela, teller, D("10000000"))
    p = exit_settlement_preview(member=m, on=_d(6, 16))
    assert [(x["month"], x["net"], x["until"]) for x in p.interest] == [
        (5, D("50000"), None),
        (6, D("25125"), _d(6, 16)),
    ]
    s = exit_settlement_confirm(
        member=m, reason="resigned", on=_d(6, 16), by=bendahara, expected_net=D("10075125")
    )
    assert s.interest_credited == D("75125")
    may = SavingsTransaction.objects.get(account=acc, kind="interest", on=_d(5, 31))
    assert may.journal_entry_id != s.journal_entry_id
    assert _live(acc, "interest", 6) == [D("25125")]
    _balances()


def test_pph_when_the_members_accounts_together_cross_the_threshold(sukarela, teller, bendahara):
    """Opened 1 June: Sukarela 40,000,000 → 40,000,000 × 15/30 × 0.5 % = 100,000;
    Sukarela Plus 60,000,000 → 150,000. Alone each is under Rp 240,000; together 250,000
    is above it: PPh 10 % = 25,000 (withheld on the second product, as its run would).
    A member with the 40,000,000 account alone pays none."""
    plus = savings_product_create(
        by="tests",
        code="SSP",
        kind="sukarela",
        name="Sukarela Plus",
        interest_enabled=True,
        interest_rate_annual=D("6"),
        interest_basis="average",
        interest_auto=False,
    )
    june1 = _d(6, 1)
    m, a = _saver(sukarela, teller, D("40000000"), on=june1)
    _m, b = _saver(plus, teller, D("60000000"), on=june1, member=m)
    lone, _l = _saver(sukarela, teller, D("40000000"), on=june1)
    p = exit_settlement_preview(member=m, on=_d(6, 16))
    assert sorted((x["interest"], x["tax"]) for x in p.interest) == [
        (D("100000"), D("0")),
        (D("150000"), D("25000")),
    ]
    assert p.interest_total == D("225000")
    assert p.net_payable == D("100225000")
    tax_before = _role("tax_payable")
    s = exit_settlement_confirm(
        member=m, reason="resigned", on=_d(6, 16), by=bendahara, expected_net=D("100225000")
    )
    assert _live(b, "tax", 6) == [D("25000")] and _live(a, "tax", 6) == []
    lines = s.journal_entry.lines
    assert lines.get(account=account_for_role("savings_interest_expense")).debit == D("250000")
    assert lines.get(account=account_for_role("tax_payable")).credit == D("25000")
    assert _role("tax_payable") - tax_before == D("25000")
    row = next(r for r in interest_tax_report(year=_year(), month=6) if r.member_id == m.pk)
    assert (row.gross, row.tax, row.net) == (D("250000"), D("25000"), D("225000"))
    p_lone = exit_settlement_preview(member=lone, on=_d(6, 16))
    assert [(x["interest"], x["tax"]) for x in p_lone.interest] == [(D("100000"), D("0"))]
    _balances()


def test_reversal_takes_the_part_month_back_exactly_and_the_run_then_pays_it_once(
    sukarela, teller, bendahara
):
    """Exit on 16 June (May 50,000 and June's part 25,125 credited, no run made),
    reversed in December: both taken back, to the rupiah (expense and PPh payable as
    before the exit, the account at its 10,000,000). The runs then pay May 50,000 and
    June 25,125 — the money was out from 16 June until the reversal — once."""
    m, acc = _saver(sukarela, teller, D("10000000"))
    expense, tax = _role("savings_interest_expense"), _role("tax_payable")
    s = exit_settlement_confirm(member=m, reason="resigned", on=_d(6, 16), by=bendahara)
    assert s.interest_credited == D("75125")
    exit_settlement_reverse(settlement=s, by=bendahara, reason="salah anggota")
    acc.refresh_from_db()
    assert (acc.status, acc.balance) == ("open", D("10000000"))
    assert _live(acc, "interest", 5) == _live(acc, "interest", 6) == []
    assert _role("savings_interest_expense") == expense and _role("tax_payable") == tax
    assert JournalEntry.objects.filter(reverses=s.journal_entry).exists()
    _balances()
    _run(sukarela, 5, bendahara)
    _run(sukarela, 6, bendahara)
    assert _live(acc, "interest", 5) == [D("50000")]
    assert _live(acc, "interest", 6) == [D("25125")]
    acc.refresh_from_db()
    assert acc.balance == D("10075125")
    _balances()


def test_reversal_after_the_months_run_keeps_the_part_month_and_a_rerun_skips_it(
    sukarela, teller, bendahara
):
    """The June run came after the exit (it skipped the closed account): the reversal
    keeps June's 25,125 on the reopened account (what the run pays on those balances, and
    it can no longer pay it); the June run reversed and made again does not pay twice."""
    m, acc = _saver(sukarela, teller, D("10000000"))
    _run(sukarela, 5, bendahara)
    s = exit_settlement_confirm(member=m, reason="resigned", on=_d(6, 16), by=bendahara)
    run = _run(sukarela, 6, bendahara)
    assert run.accounts == 0
    expense = _role("savings_interest_expense")
    exit_settlement_reverse(settlement=s, by=bendahara, reason="salah anggota")
    acc.refresh_from_db()
    assert (acc.status, acc.balance) == ("open", D("10075125"))
    assert _live(acc, "interest", 6) == [D("25125")]
    assert _role("savings_interest_expense") == expense  # taken back and kept: once
    savings_interest_reverse(run=run, by=bendahara, reason="ulang")
    _run(sukarela, 6, bendahara)
    assert _live(acc, "interest", 6) == [D("25125")]
    acc.refresh_from_db()
    assert acc.balance == D("10075125")
    _balances()


def test_minimum_basis_credits_nothing_for_the_exit_month_and_says_why(
    products, teller, bendahara, client_a
):
    """On the lowest balance of the month the exit's payout is that month's zero: no
    jasa for June, and the screen says so instead of leaving the reader to wonder."""
    sukarela = products["sukarela"]  # seeded: minimum balance basis
    m, _acc = _saver(sukarela, teller, D("10000000"))
    _run(sukarela, 5, bendahara)
    p = exit_settlement_preview(member=m, on=_d(6, 16))
    assert p.interest == [] and p.interest_total == 0
    assert len(p.interest_notes) == 1
    assert sukarela.name in p.interest_notes[0] and f"Juni {_year()}" in p.interest_notes[0]
    assert "saldo terendah" in p.interest_notes[0]
    client_a.force_login(bendahara)
    page = client_a.get(f"/anggota/{m.pk}/keluar/?on={_d(6, 16).isoformat()}").content.decode()
    assert escape(p.interest_notes[0]) in page


def test_the_screen_and_the_done_page_show_the_part_month_line(
    sukarela, teller, bendahara, client_a
):
    m, _acc = _saver(sukarela, teller, D("10000000"))
    _run(sukarela, 5, bendahara)
    p = exit_settlement_preview(member=m, on=_d(6, 16))
    client_a.force_login(bendahara)
    page = client_a.get(f"/anggota/{m.pk}/keluar/?on={_d(6, 16).isoformat()}").content.decode()
    assert escape(p.interest[0]["label"]) in page
    assert format_rupiah(D("25125")) in page
    assert format_rupiah(D("10075125")) in page
    exit_settlement_confirm(member=m, reason="resigned", on=_d(6, 16), by=bendahara)
    page = client_a.get(f"/anggota/{m.pk}/keluar/").content.decode()
    assert escape(p.interest[0]["label"]) in page
    assert format_rupiah(D("25125")) in page


def test_a_never_run_product_with_a_closed_month_refuses_clearly_until_reopened(
    sukarela, teller, bendahara
):
    """Deliberate: the product's jasa has never been run and the month before the exit
    (whose jasa the member is owed) is closed: the exit is refused, naming the product,
    the month, the closing date and the way out; once the month is reopened the exit
    credits it (50,000) and June's part (25,125)."""
    admin = f.user("admin")
    m, acc = _saver(sukarela, teller, D("10000000"))
    for period in Period.objects.filter(end_date__lte=_d(5, 31), status="open").order_by(
        "start_date"
    ):
        period_close(period=period, by=admin)
    p = exit_settlement_preview(member=m, on=_d(6, 16))
    assert p.refused and len(p.warnings) == 1
    w = p.warnings[0]
    for part in (
        sukarela.name,
        "belum pernah dihitung",
        f"Mei {_year()}",
        f"31 Mei {_year()}",
        "Buka",
    ):
        assert part in w, part
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=m, reason="resigned", on=_d(6, 16), by=bendahara)
    assert e.value.code == "settlement_interest_month_closed"
    assert str(e.value.message) == w
    assert JournalEntry.objects.count() == entries
    period_reopen(period=Period.objects.get(start_date=_d(5, 1)), reason="jasa Mei", by=admin)
    p = exit_settlement_preview(member=m, on=_d(6, 16))
    assert p.warnings == []
    s = exit_settlement_confirm(member=m, reason="resigned", on=_d(6, 16), by=bendahara)
    assert s.interest_credited == D("75125")
    _balances()
