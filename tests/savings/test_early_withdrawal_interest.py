"""The jasa simpanan of an early withdrawal's own, unfinished month: a berjangka / purpose
savings account of an interest-bearing product paid out before its payout date on the
16th held its balance for the 15 days before. The product's rules decide what the member
is owed — the monthly run's own rule for an account paid out that day
(``interest_exit_month_due``, as the exit settlement): on the average daily balance the
days before, pro-rata; on the month's lowest balance nothing (the payout is that month's
zero), said before confirming. The product has no rule that forfeits jasa: its penalty
(none, a percentage of the balance, or fixed) is what an early break costs, on the
balance paid out (jasa included). The part month is shown before confirming, credited in
the withdrawal's own entry, not paid again by the month's run, and its cancellation
takes it back to the rupiah.

Hand-computed figures: jasa 6 % a year = 0.5 % a month; June has 30 days; a
withdrawal on 16 June leaves days 1-15 (the day's end-of-day balance is the payout's
zero, as for any withdrawal of everything that day)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsTransaction
from core.savings.selectors import interest_tax_report
from core.savings.services import (
    savings_account_open,
    savings_early_withdraw,
    savings_early_withdrawal_preview,
    savings_interest_accrue,
    teller_deposit,
    teller_reverse,
)
from tests.members import factories as f

from .conftest import assert_reconciled


@pytest.fixture
def on(year):
    """16 June of last year (``year``: a whole year of ended months on any day)."""
    return date(year, 6, 16)


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def hari_raya(products, year):
    """Simpanan Hari Raya bearing jasa 6 % a year on the average daily balance; payout
    date 1 March of the next year; 1,000,000 a month for 10 months (a 10,000,000 target)."""
    p = products["berjangka"]
    p.amount = D("1000000")
    p.term_months = 10
    p.payout_date = date(year + 1, 3, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.interest_basis = "average"
    p.save()
    return p


def _saver(product, teller, amount, on=None, member=None):
    """Opened with ``amount`` on ``on``, by default 1 May of the year before the payout."""
    on = on or date(product.payout_date.year - 1, 5, 1)
    m = member or f.member()
    acc = savings_account_open(member=m, product=product, on=on)
    teller_deposit(account=acc, amount=amount, channel="bank", on=on, by=teller)
    acc.refresh_from_db()
    return m, acc


def _run(product, year, month, by):
    return savings_interest_accrue(product=product, year=year, month=month, by=by)


def _penalty(product, kind, value):
    product.early_penalty_type = kind
    product.early_penalty_value = D(value)
    product.save()


def _live(acc, kind, year, month):
    return list(
        SavingsTransaction.objects.filter(
            account=acc, kind=kind, on__year=year, on__month=month, reversed_by__isnull=True
        ).values_list("amount", flat=True)
    )


def _role(role):
    return account_balance(account=account_for_role(role))


def _balanced():
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]
    assert_reconciled()


def test_average_basis_credits_the_days_before_in_the_withdrawals_entry(
    hari_raya,
    teller,
    bendahara,
    year,
    on,
):
    """May run: 10,000,000 × 0.5 % = 50,000. Early withdrawal 16 June: 10,050,000 × 15/30
    × 0.5 % = 25,125 (under the PPh threshold); paid out 10,075,125, less the 2 % penalty
    on it, 201,502.50 rounded down = 201,502: the member receives 9,873,623."""
    _penalty(hari_raya, "percent", "2")
    m, acc = _saver(hari_raya, teller, D("10000000"))
    assert _run(hari_raya, year, 5, bendahara).gross_interest == D("50000")
    expense = _role("savings_interest_expense")
    p = savings_early_withdrawal_preview(account=acc, on=on)
    assert (p.balance, p.interest, p.interest_tax) == (D("10050000"), D("25125"), D("0"))
    assert f"Juni {year}" in p.interest_label and "1–15" in p.interest_label
    assert p.interest_note == ""
    assert (p.paid_out, p.penalty, p.net) == (D("10075125"), D("201502"), D("9873623"))
    txn = savings_early_withdraw(
        account=acc,
        on=on,
        channel="cash",
        reason="biaya rumah sakit",
        by=bendahara,
        expected_net=D("9873623"),
    )
    assert txn.amount == D("9873623")
    # credited on the withdrawal date in the withdrawal's own entry, then paid out with it
    credit = SavingsTransaction.objects.get(account=acc, kind="interest", on=on)
    assert credit.amount == D("25125") and credit.journal_entry_id == txn.journal_entry_id
    assert "pencairan dini" in credit.memo and "1–15" in credit.memo
    assert not SavingsTransaction.objects.filter(account=acc, kind="tax").exists()
    # the savings debit of the balance paid out (10,075,125) in two lines: the cash paid,
    # and the penalty kept, marked non-cash with the penalty income's credit
    lines = set(
        txn.journal_entry.lines.values_list(
            "account_id", "debit", "credit", "member_id", "non_cash"
        )
    )
    assert lines == {
        (account_for_role("savings_interest_expense").pk, D("25125"), D("0"), None, True),
        (hari_raya.account_id, D("0"), D("25125"), m.pk, True),
        (hari_raya.account_id, D("9873623"), D("0"), m.pk, False),
        (hari_raya.account_id, D("201502"), D("0"), m.pk, True),
        (account_for_role("cash").pk, D("0"), D("9873623"), None, False),
        (account_for_role("penalty_income").pk, D("0"), D("201502"), None, True),
    }
    assert _role("savings_interest_expense") - expense == D("25125")
    acc.refresh_from_db()
    assert (acc.balance, acc.status) == (D("0"), "closed")
    ev = AuditEvent.objects.get(action="savings.early_withdraw", target_id=str(acc.pk))
    assert ev.data["interest"] == "25125.00" and ev.data["interest_tax"] == "0.00"
    assert ev.data["net"] == "9873623.00"
    _balanced()


def test_the_months_run_pays_the_stayer_and_not_the_withdrawn_account_again(
    hari_raya,
    teller,
    bendahara,
    year,
    on,
):
    """Twins with 10,000,000 from 1 May; one breaks on 16 June (25,125 for June). The June
    run pays the stayer 10,050,000 × 0.5 % = 50,250 and the closed account nothing more."""
    _m, gone = _saver(hari_raya, teller, D("10000000"))
    _s, stays = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    savings_early_withdraw(account=gone, on=on, channel="cash", reason="darurat", by=bendahara)
    expense = _role("savings_interest_expense")
    run = _run(hari_raya, year, 6, bendahara)
    assert (run.accounts, run.gross_interest, run.tax) == (1, D("50250"), D("0"))
    assert _live(stays, "interest", year, 6) == [D("50250")]
    assert _live(gone, "interest", year, 6) == [D("25125")]
    assert _role("savings_interest_expense") - expense == D("50250")
    _balanced()


def test_pph_is_the_members_month_across_all_accounts(
    hari_raya, products, teller, bendahara, year, on
):
    """Opened 1 June: Hari Raya 100,000,000 (a 10,000,000-a-month product) broken on the
    16th: 100,000,000 × 15/30 × 0.5 % = 250,000, above Rp 240,000: PPh 10 % = 25,000 on
    it, 225,000 net; paid out 100,225,000 (no penalty). The member's Sukarela (6 %,
    average) 10,000,000 from 1 June: the June run pays 50,000, and the member's month is
    then 300,000 → PPh 30,000, of which 25,000 was withheld already: 5,000 on it."""
    hari_raya.amount = D("10000000")
    hari_raya.save()
    sukarela = products["sukarela"]
    sukarela.interest_basis = "average"
    sukarela.interest_rate_annual = D("6")
    sukarela.save()
    m, acc = _saver(hari_raya, teller, D("100000000"), on=date(year, 6, 1))
    _m, suk = _saver(sukarela, teller, D("10000000"), on=date(year, 6, 1), member=m)
    p = savings_early_withdrawal_preview(account=acc, on=on)
    assert (p.interest, p.interest_tax, p.paid_out, p.net) == (
        D("250000"),
        D("25000"),
        D("100225000"),
        D("100225000"),
    )
    tax_before = _role("tax_payable")
    txn = savings_early_withdraw(account=acc, on=on, channel="bank", reason="x", by=bendahara)
    assert txn.amount == D("100225000")
    assert _live(acc, "tax", year, 6) == [D("25000")]
    lines = txn.journal_entry.lines
    assert lines.get(account=account_for_role("tax_payable")).credit == D("25000")
    assert _role("tax_payable") - tax_before == D("25000")
    run = _run(sukarela, year, 6, bendahara)
    assert (run.gross_interest, run.tax) == (D("50000"), D("5000"))
    assert _live(suk, "tax", year, 6) == [D("5000")]
    row = next(r for r in interest_tax_report(year=year, month=6) if r.member_id == m.pk)
    assert (row.gross, row.tax) == (D("300000"), D("30000"))
    _balanced()


def test_minimum_basis_credits_nothing_and_says_why(products, teller, bendahara, year, on):
    """On the month's lowest balance the payout is June's zero: no jasa for June, and
    the figures say so instead of leaving the treasurer to wonder."""
    p = products["berjangka"]
    p.amount = D("1000000")
    p.payout_date = date(year + 1, 3, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.interest_basis = "minimum"
    p.save()
    _m, acc = _saver(p, teller, D("10000000"), on=date(year, 4, 15))
    _run(p, year, 5, bendahara)  # May's lowest 10,000,000 × 0.5 % = 50,000
    preview = savings_early_withdrawal_preview(account=acc, on=on)
    assert (preview.interest, preview.interest_tax) == (D("0"), D("0"))
    assert preview.paid_out == preview.net == D("10050000")
    note = preview.interest_note
    assert p.name in note and f"Juni {year}" in note and "saldo terendah" in note
    assert "tidak ada" in note
    txn = savings_early_withdraw(account=acc, on=on, channel="cash", reason="x", by=bendahara)
    assert txn.amount == D("10050000")
    assert _live(acc, "interest", year, 6) == []
    _balanced()


def test_a_product_without_jasa_shows_no_jasa_line(products, teller, bendahara, year, on):
    p = products["berjangka"]  # seeded: no jasa
    p.amount = D("1000000")
    p.payout_date = date(year + 1, 3, 1)
    p.save()
    _m, acc = _saver(p, teller, D("3000000"))
    preview = savings_early_withdrawal_preview(account=acc, on=on)
    assert (preview.interest, preview.interest_label, preview.interest_note) == (D("0"), "", "")
    assert preview.net == D("3000000")


def test_cancelling_takes_the_part_month_back_exactly_and_the_run_pays_the_balances(
    hari_raya,
    teller,
    bendahara,
    year,
    on,
):
    """Broken on 16 June with the 2 % penalty, cancelled on 20 June: the jasa, the payout
    and the penalty taken back, to the rupiah (expense and penalty income as before, the
    account open at its 10,050,000). The June run then pays the balances as they stood:
    10,050,000 on days 1-15 and 20-30 (26 days), nothing while the money was out:
    10,050,000 × 26/30 × 0.5 % = 43,550 — once."""
    _penalty(hari_raya, "percent", "2")
    _m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    expense, penalty = _role("savings_interest_expense"), _role("penalty_income")
    txn = savings_early_withdraw(account=acc, on=on, channel="cash", reason="x", by=bendahara)
    entries = JournalEntry.objects.count()
    teller_reverse(txn=txn, on=date(year, 6, 20), reason="salah rekening", by=bendahara)
    assert JournalEntry.objects.count() == entries + 1
    acc.refresh_from_db()
    assert (acc.status, acc.balance) == ("open", D("10050000"))
    assert _live(acc, "interest", year, 6) == []
    assert _role("savings_interest_expense") == expense and _role("penalty_income") == penalty
    # the payout, the penalty and the jasa taken back
    assert sorted(
        SavingsTransaction.objects.filter(
            account=acc, kind="reversal", on=date(year, 6, 20)
        ).values_list("delta", flat=True)
    ) == [D("-25125"), D("201502"), D("9873623")]
    _balanced()
    run = _run(hari_raya, year, 6, bendahara)
    assert (run.accounts, run.gross_interest) == (1, D("43550"))
    assert _live(acc, "interest", year, 6) == [D("43550")]
    acc.refresh_from_db()
    assert acc.balance == D("10093550")
    _balanced()


def test_cancelling_after_the_months_run_is_refused_naming_it(
    hari_raya, teller, bendahara, year, on
):
    """June's run has been made without the withdrawn account: reopening it would leave
    it unpaid for June; refused, naming the run, and nothing changed."""
    _m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    txn = savings_early_withdraw(account=acc, on=on, channel="cash", reason="x", by=bendahara)
    _run(hari_raya, year, 6, bendahara)
    before = SavingsTransaction.objects.count()
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=txn, on=date(year, 7, 2), reason="salah", by=bendahara)
    assert e.value.code == "savings_reversal_interest_run"
    assert f"bulan Juni {year} sudah dihitung tanpa rekening ini" in e.value.message
    assert txn.receipt_number in e.value.message
    acc.refresh_from_db()
    assert acc.status == "closed"
    assert SavingsTransaction.objects.count() == before


def test_a_finished_month_not_run_is_still_refused_naming_it(
    hari_raya, teller, bendahara, year, on
):
    """May's jasa not run (no run of the product yet): refused, naming the month; the
    part month is never credited on top of a missing month."""
    _m, acc = _saver(hari_raya, teller, D("10000000"))
    before = SavingsTransaction.objects.count()
    with pytest.raises(ApplicationError) as e:
        savings_early_withdraw(account=acc, on=on, channel="cash", reason="x", by=bendahara)
    assert e.value.code == "savings_bad_period" and f"bulan Mei {year}" in e.value.message
    assert SavingsTransaction.objects.count() == before


# --- screen and API (today is 16 June of last year) ---------------------------------


@pytest.fixture
def on_june_16(on, today_is):
    today_is(on)


@pytest.fixture
def client_for(tenant_a):
    from tenants.services import tenant_host

    def make(user) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(user)
        return c

    return make


def test_screen_shows_the_part_month_before_confirming_and_posts_it(
    hari_raya,
    teller,
    bendahara,
    client_for,
    on_june_16,
    year,
    on,
):
    _penalty(hari_raya, "percent", "2")
    _m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    c = client_for(bendahara)
    url = reverse("savings:early_withdraw", args=[acc.pk])
    body = c.post(url, {"reason": "sakit", "channel": "cash"}).content.decode()
    label = savings_early_withdrawal_preview(account=acc, on=on).interest_label
    assert escape(label) in body
    for figure in ("Rp 10.050.000", "Rp 25.125", "Rp 10.075.125", "Rp 201.502", "Rp 9.873.623"):
        assert figure in body, figure
    acc.refresh_from_db()
    assert acc.status == "open" and _live(acc, "interest", year, 6) == []
    r = c.post(
        url,
        {"reason": "sakit", "channel": "cash", "expected_net": "9873623", "confirmed": "1"},
    )
    assert r.status_code == 302
    acc.refresh_from_db()
    assert acc.status == "closed" and _live(acc, "interest", year, 6) == [D("25125")]
    _balanced()


def test_screen_says_the_minimum_basis_credits_nothing(
    products,
    teller,
    bendahara,
    client_for,
    on_june_16,
    year,
    on,
):
    p = products["berjangka"]
    p.amount = D("1000000")
    p.payout_date = date(year + 1, 3, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.save()  # seeded basis: the month's lowest balance
    _m, acc = _saver(p, teller, D("10000000"))
    _run(p, year, 5, bendahara)
    note = savings_early_withdrawal_preview(account=acc, on=on).interest_note
    assert note
    body = (
        client_for(bendahara)
        .post(
            reverse("savings:early_withdraw", args=[acc.pk]),
            {"reason": "sakit", "channel": "cash"},
        )
        .content.decode()
    )
    assert escape(note) in body


def test_api_gives_the_part_month_and_the_figures_as_written(
    hari_raya,
    teller,
    bendahara,
    client_for,
    on_june_16,
    year,
):
    _penalty(hari_raya, "fixed", "25000")
    _m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    c = client_for(bendahara)
    url = f"/api/v1/savings/accounts/{acc.pk}/early-withdrawal/"
    got = c.get(url).json()
    assert (got["balance"], got["interest"], got["interest_tax"], got["interest_net"]) == (
        "10050000.00",
        "25125.00",
        "0.00",
        "25125.00",
    )
    assert "1–15" in got["interest_label"] and got["interest_note"] == ""
    assert (got["paid_out"], got["penalty"], got["net"]) == (
        "10075125.00",
        "25000.00",
        "10050125.00",
    )
    r = c.post(
        url,
        {"reason": "sakit", "channel": "cash", "expected_net": "10.050.125"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    done = r.json()
    for key in ("balance", "interest", "interest_tax", "paid_out", "penalty", "net"):
        assert done[key] == got[key], key


def test_receipt_shows_the_months_jasa_in_the_balance_paid_out(
    hari_raya, teller, bendahara, year, on
):
    """The member's receipt: balance paid out 10,075,125, of which the jasa of 1-15 June
    25,125; penalty 201,502; received 9,873,623."""
    from io import BytesIO

    from pypdf import PdfReader

    from core.savings.pdf import receipt_pdf

    _penalty(hari_raya, "percent", "2")
    _m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    txn = savings_early_withdraw(account=acc, on=on, channel="cash", reason="x", by=bendahara)
    pdf = PdfReader(BytesIO(receipt_pdf(txn=txn)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    for part in ("Rp 10.075.125", "Rp 25.125", "1–15", "Rp 201.502", "Rp 9.873.623"):
        assert part in text, part
