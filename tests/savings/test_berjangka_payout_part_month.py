"""A berjangka account of an interest-bearing product paid out in full at maturity in the
middle of a month: the account is emptied and starts its next cycle (it stays open: the
month's run does pay it). The jasa of the month's days before the payout used to be
left for that run, which credited it on the month's last day into the *next* cycle —
locked until the next payout date, a term away, and charged the early penalty if the
member broke the new cycle. Now the payout credits it first, by the rule the exit
settlement and the early withdrawal use (``interest_exit_month_due``/``_apply``: on the
average daily balance the days before, pro-rata; on the month's lowest balance nothing),
PPh by the member's month across all their accounts, in the payout's own entry, and pays
it out with the balance: paid out in full means the balance with that jasa. The month's
run pays the account only from the payout day (its next cycle's deposits).

Hand figures: jasa 6 % a year = 0.5 % a month; June has 30 days; a payout on 16
June leaves days 1-15 (the day's end-of-day balance is the payout's zero). Rounding
half-up to whole rupiah."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db.models import Sum
from django.test import Client

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsTransaction
from core.savings.selectors import interest_tax_report
from core.savings.services import (
    berjangka_payout_in_full,
    savings_account_open,
    savings_interest_accrue,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled


@pytest.fixture
def on(year):
    """16 June (of last year: ``year``), the payout day."""
    return date(year, 6, 16)


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def hari_raya(products, year):
    """Hari Raya bearing 6 % a year on the average daily balance, payout date 1 June,
    1,000,000 a month for 10 months (10,000,000 agreed)."""
    p = products["berjangka"]
    p.amount = D("1000000")
    p.term_months = 10
    p.payout_date = date(year, 6, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.interest_basis = "average"
    p.save()
    return p


def _run(product, month, by):
    """The product's jasa run for ``month`` of its payout date's year (``year``)."""
    year = product.payout_date.year
    return savings_interest_accrue(product=product, year=year, month=month, by=by)


def _matured(product, teller, bendahara, member=None):
    """10,000,000 from 1 April; April's run 10,000,000 × 0.5 % = 50,000, May's
    10,050,000 × 0.5 % = 50,250: 10,100,250 at the payout date."""
    april = date(product.payout_date.year, 4, 1)
    acc = savings_account_open(member=member or f.member(), product=product, on=april)
    teller_deposit(account=acc, amount=D("10000000"), channel="cash", on=april, by=teller)
    acc.refresh_from_db()
    return acc


def _runs(product, bendahara, *months):
    for m in months:
        _run(product, m, bendahara)


def _live(acc, kind, month=6):
    year = acc.product.payout_date.year
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


def test_full_payout_credits_the_days_before_and_pays_them_out(
    hari_raya, teller, bendahara, year, on
):
    """16 June: 10,100,250 × 15/30 × 0.5 % = 25,250.625 → 25,251 (under the PPh
    threshold): paid out in full 10,125,501, in one entry with the jasa; the account's
    next cycle starts; the June run pays it nothing more and its twin, who stays, the
    whole month: 10,100,250 × 0.5 % = 50,501.25 → 50,501."""
    acc = _matured(hari_raya, teller, bendahara)
    stays = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    acc.refresh_from_db()
    assert acc.balance == D("10100250")
    full = berjangka_payout_in_full(account=acc, on=on)
    assert (full.balance, full.interest, full.interest_tax) == (D("10100250"), D("25251"), D("0"))
    assert full.total == D("10125501")
    assert f"Juni {year}" in full.interest_label and "1–15" in full.interest_label
    expense = _role("savings_interest_expense")
    t = teller_withdraw(account=acc, amount=D("10125501"), channel="cash", on=on, by=teller)
    assert (t.kind, t.amount, t.receipt_number[:8]) == ("payout", D("10125501"), f"TAR-{year}")
    credit = SavingsTransaction.objects.get(account=acc, kind="interest", on=on)
    assert credit.amount == D("25251") and credit.journal_entry_id == t.journal_entry_id
    assert "1–15" in credit.memo
    lines = set(t.journal_entry.lines.values_list("account_id", "debit", "credit", "member_id"))
    assert lines == {
        (account_for_role("savings_interest_expense").pk, D("25251"), D("0"), None),
        (hari_raya.account_id, D("0"), D("25251"), acc.member_id),
        (hari_raya.account_id, D("10125501"), D("0"), acc.member_id),
        (account_for_role("cash").pk, D("0"), D("10125501"), None),
    }
    acc.refresh_from_db()
    assert (acc.status, acc.balance) == ("open", D("0"))
    assert acc.payout_date == date(year + 1, 4, 16)  # the next cycle: the term from the payout
    assert _role("savings_interest_expense") - expense == D("25251")
    run = _run(hari_raya, 6, bendahara)
    assert (run.accounts, run.gross_interest) == (1, D("50501"))
    assert _live(acc, "interest") == [D("25251")]  # nothing locked in the next cycle
    assert _live(stays, "interest") == [D("50501")]
    acc.refresh_from_db()
    assert acc.balance == 0
    _balanced()


def test_typing_the_balance_alone_is_refused_with_the_full_figure(
    hari_raya, teller, bendahara, year, on
):
    """What the account holds today is the balance and the month's jasa: the balance
    alone is neither all of it nor a partial payout the teller meant; refused, naming
    the full amount and the jasa, nothing written."""
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    before = SavingsTransaction.objects.count(), JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=acc, amount=D("10100250"), channel="cash", on=on, by=teller)
    assert e.value.code == "savings_payout_includes_interest"
    assert "Rp 10.125.501" in e.value.message and "Rp 25.251" in e.value.message
    assert e.value.fields == {"amount": ["Cair penuh: Rp 10.125.501."]}
    assert (SavingsTransaction.objects.count(), JournalEntry.objects.count()) == before
    # a partial payout is as before: the jasa stays to be run on its balances
    t = teller_withdraw(account=acc, amount=D("100250"), channel="cash", on=on, by=teller)
    assert t.amount == D("100250") and _live(acc, "interest") == []
    acc.refresh_from_db()
    assert acc.payout_date == date(year, 6, 1)


def test_pph_is_the_members_month_across_all_accounts(
    hari_raya, products, teller, bendahara, year, on
):
    """Hari Raya of 100,000,000 from 1 May (a 10,000,000-a-month product): May's run
    500,000, PPh 50,000: 100,450,000 on 1 June. Paid out in full on the 16th: 100,450,000
    × 15/30 × 0.5 % = 251,125, above Rp 240,000: PPh 10 % = 25,112.5 → 25,113, net
    226,012; paid out 100,676,012. The member's Sukarela (6 %, average) of 10,000,000
    from 1 June: the June run 50,000; the month 301,125 → PPh 30,112.5 → 30,113, of
    which 25,113 withheld at the payout: 5,000."""
    hari_raya.amount = D("10000000")
    hari_raya.save()
    sukarela = products["sukarela"]
    sukarela.interest_basis = "average"
    sukarela.interest_rate_annual = D("6")
    sukarela.save()
    m = f.member()
    acc = savings_account_open(member=m, product=hari_raya, on=date(year, 5, 1))
    teller_deposit(
        account=acc, amount=D("100000000"), channel="bank", on=date(year, 5, 1), by=teller
    )
    suk = savings_account_open(member=m, product=sukarela, on=date(year, 6, 1))
    teller_deposit(
        account=suk, amount=D("10000000"), channel="bank", on=date(year, 6, 1), by=teller
    )
    _run(hari_raya, 5, bendahara)
    acc.refresh_from_db()
    full = berjangka_payout_in_full(account=acc, on=on)
    assert (full.interest, full.interest_tax, full.total) == (
        D("251125"),
        D("25113"),
        D("100676012"),
    )
    tax_before = _role("tax_payable")
    t = teller_withdraw(account=acc, amount=D("100676012"), channel="bank", on=on, by=teller)
    assert t.amount == D("100676012")
    assert _live(acc, "tax") == [D("25113")]
    assert _role("tax_payable") - tax_before == D("25113")
    run = savings_interest_accrue(product=sukarela, year=year, month=6, by=bendahara)
    assert (run.gross_interest, run.tax) == (D("50000"), D("5000"))
    row = next(r for r in interest_tax_report(year=year, month=6) if r.member_id == m.pk)
    assert (row.gross, row.tax) == (D("301125"), D("30113"))
    _balanced()


def test_the_runs_pph_counts_the_part_month_paid_with_the_payout(
    hari_raya, teller, bendahara, year, on
):
    """A 10,000,000-a-month Hari Raya of 92,000,000 from 1 June, due on the 10th, paid
    out in full on the 16th: 92,000,000 × 15/30 × 0.5 % = 230,000, under the threshold
    alone: no PPh; 92,230,000 paid out. The next cycle's 24,000,000 the same day earns
    15 days: 24,000,000 × 15/30 × 0.5 % = 60,000. The member's June on that one account
    is 290,000, above Rp 240,000: the run withholds 10 % of it, 29,000."""
    hari_raya.amount = D("10000000")
    hari_raya.save()
    m = f.member()
    acc = savings_account_open(
        member=m, product=hari_raya, on=date(year, 6, 1), payout_date=date(year, 6, 10)
    )
    teller_deposit(
        account=acc, amount=D("92000000"), channel="bank", on=date(year, 6, 1), by=teller
    )
    acc.refresh_from_db()
    full = berjangka_payout_in_full(account=acc, on=on)
    assert (full.interest, full.interest_tax, full.total) == (D("230000"), D("0"), D("92230000"))
    teller_withdraw(account=acc, amount=D("92230000"), channel="bank", on=on, by=teller)
    teller_deposit(account=acc, amount=D("24000000"), channel="bank", on=on, by=teller)
    run = _run(hari_raya, 6, bendahara)
    assert (run.gross_interest, run.tax) == (D("60000"), D("29000"))
    assert _live(acc, "interest") == [D("230000"), D("60000")]
    assert _live(acc, "tax") == [D("29000")]
    acc.refresh_from_db()
    assert acc.balance == D("24031000")
    row = next(r for r in interest_tax_report(year=year, month=6) if r.member_id == m.pk)
    assert (row.gross, row.tax) == (D("290000"), D("29000"))
    _balanced()


def test_the_next_cycles_deposits_earn_from_the_payout_day(hari_raya, teller, bendahara, year, on):
    """After the payout on the 16th the member deposits the new cycle's 1,000,000 on the
    21st: the June run pays it 10 days, 1,000,000 × 10/30 × 0.5 % = 1,666.67 → 1,667,
    and nothing again for the 1st-15th."""
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    teller_withdraw(account=acc, amount=D("10125501"), channel="cash", on=on, by=teller)
    teller_deposit(
        account=acc, amount=D("1000000"), channel="cash", on=date(year, 6, 21), by=teller
    )
    _run(hari_raya, 6, bendahara)
    assert _live(acc, "interest") == [D("25251"), D("1667")]
    acc.refresh_from_db()
    assert acc.balance == D("1001667")
    _balanced()


def test_minimum_basis_pays_the_balance_and_credits_nothing(hari_raya, teller, bendahara, on):
    """On the month's lowest balance the payout makes June's lowest zero: no jasa for
    June, the balance alone is paid out in full, and the run pays nothing for June."""
    hari_raya.interest_basis = "minimum"
    hari_raya.save()
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    acc.refresh_from_db()
    full = berjangka_payout_in_full(account=acc, on=on)
    assert (full.interest, full.total) == (D("0"), acc.balance)
    assert "saldo terendah" in full.interest_note
    teller_withdraw(account=acc, amount=acc.balance, channel="cash", on=on, by=teller)
    _run(hari_raya, 6, bendahara)
    assert _live(acc, "interest") == []
    _balanced()


def test_cancelling_takes_the_jasa_back_and_the_run_pays_the_balances(
    hari_raya, teller, bendahara, year, on
):
    """Paid out on the 16th, cancelled on the 20th: the payout, and the jasa it credited,
    taken back to the rupiah; the payout date back to 1 June. The June run then pays the
    balances as they stood, 10,100,250 on days 1-15 and 20-30 (26 days): 10,100,250 ×
    26/30 × 0.5 % = 43,767.75 → 43,768 — once."""
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    expense = _role("savings_interest_expense")
    t = teller_withdraw(account=acc, amount=D("10125501"), channel="cash", on=on, by=teller)
    teller_reverse(txn=t, on=date(year, 6, 20), reason="salah rekening", by=bendahara)
    acc.refresh_from_db()
    assert (acc.status, acc.balance, acc.payout_date) == ("open", D("10100250"), date(year, 6, 1))
    assert _live(acc, "interest") == []
    assert _role("savings_interest_expense") == expense
    _balanced()
    run = _run(hari_raya, 6, bendahara)
    assert (run.accounts, run.gross_interest) == (1, D("43768"))
    assert _live(acc, "interest") == [D("43768")]
    _balanced()


def test_cancelling_after_the_months_run_is_refused_naming_it(
    hari_raya, teller, bendahara, year, on
):
    """The June run has paid the account from the payout day on: taking the payout back
    would leave the days after it unpaid; refused, naming the run (reverse it first)."""
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    t = teller_withdraw(account=acc, amount=D("10125501"), channel="cash", on=on, by=teller)
    _run(hari_raya, 6, bendahara)
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=t, on=date(year, 7, 2), reason="salah", by=bendahara)
    assert e.value.code == "savings_reversal_interest_run"
    assert f"bulan Juni {year} sudah dihitung" in e.value.message, e.value.message
    assert t.receipt_number in e.value.message


# --- the teller's screen and the API (today is 16 June of last year) ---------------------


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


def test_teller_screen_shows_the_full_figure_and_pays_it(
    hari_raya, teller, bendahara, client_for, on_june_16
):
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    c = client_for(teller)
    body = c.get(f"/simpanan/teller/?member={acc.member_id}").content.decode()
    assert "Rp 10.125.501" in body and "Rp 25.251" in body and "1–15" in body
    r = c.post(
        f"/simpanan/teller/?member={acc.member_id}",
        {"account": acc.pk, "action": "withdraw", "amount": "10.125.501", "channel": "cash"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert _live(acc, "interest") == [D("25251")]


def test_api_gives_the_full_figure_and_refuses_the_balance_alone(
    hari_raya, teller, bendahara, client_for, on_june_16
):
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    c = client_for(teller)
    got = c.get(f"/api/v1/savings/accounts/{acc.pk}/").json()["payout_in_full"]
    assert (got["balance"], got["interest"], got["interest_tax"], got["total"]) == (
        "10100250.00",
        "25251.00",
        "0.00",
        "10125501.00",
    )
    assert "1–15" in got["interest_label"]
    r = c.post(
        "/api/v1/savings/transactions/",
        {"account": acc.pk, "action": "withdraw", "amount": "10100250", "channel": "cash"},
        content_type="application/json",
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "savings_payout_includes_interest"
    assert "Rp 10.125.501" in err["message"] and "Rp 10.125.501" in err["fields"]["amount"][0]
    r = c.post(
        "/api/v1/savings/transactions/",
        {"account": acc.pk, "action": "withdraw", "amount": "10125501", "channel": "cash"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["amount"] == "10125501.00"


def test_receipt_shows_the_months_jasa_paid_out(hari_raya, teller, bendahara, on):
    """The member's receipt: 10,125,501 paid out, of which the jasa of 1-15 June 25,251."""
    from io import BytesIO

    from pypdf import PdfReader

    from core.savings.pdf import receipt_pdf

    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    t = teller_withdraw(account=acc, amount=D("10125501"), channel="cash", on=on, by=teller)
    pdf = PdfReader(BytesIO(receipt_pdf(txn=t)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    for part in ("Rp 10.125.501", "Rp 25.251", "1–15", t.receipt_number):
        assert part in text, part
