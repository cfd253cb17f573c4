"""Sub-ledgers never drift from the ledger (issue 22): a savings entry is reversed only
through savings (which corrects the account), never through the generic ledger reversal;
manual entries never touch the savings control accounts."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.models import Account, JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post, journal_reverse
from core.savings.models import SavingsTransaction
from core.savings.services import (
    savings_account_open,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def sukarela(products, member_a, today):
    return savings_account_open(member=member_a, product=products["sukarela"], on=today)


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def login(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    users = {}

    def make(role: str) -> Client:
        if role not in users:
            users[role] = f.user(role)
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(users[role])
        return c

    return make


def _deposit(sukarela, teller, today, amount="500000"):
    return teller_deposit(account=sukarela, amount=D(amount), channel="cash", on=today, by=teller)


# --- the generic ledger reversal refuses module entries ---------------------------------


def test_ledger_reversal_of_a_savings_entry_is_refused(sukarela, teller, bendahara, today):
    txn = _deposit(sukarela, teller, today)
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=txn.journal_entry, on=today, reason="salah", by=bendahara)
    assert exc.value.code == "module_entry_reversal"
    assert "/api/v1/savings/transactions/" in str(exc.value.message)
    sukarela.refresh_from_db()
    assert sukarela.balance == D("500000")
    assert not JournalEntry.objects.filter(reverses=txn.journal_entry).exists()
    assert_reconciled()


def test_ledger_api_reversal_of_a_savings_deposit_is_refused_and_books_stay_reconciled(
    sukarela, teller, login, today
):
    txn = _deposit(sukarela, teller, today)
    resp = login("bendahara").post(
        f"/api/v1/ledger/entries/{txn.journal_entry_id}/reverse/",
        {"date": today.isoformat(), "reason": "salah"},
        content_type="application/json",
    )
    assert resp.status_code == 409, resp.content
    err = resp.json()["error"]
    assert err["code"] == "module_entry_reversal" and "Simpanan" in err["message"]
    control = account_for_role("savings_sukarela")
    sukarela.refresh_from_db()
    assert account_balance(account=control, member_id=sukarela.member_id) == sukarela.balance
    assert_reconciled()


def test_ledger_entry_screen_shows_where_to_cancel_instead_of_the_form(
    sukarela, teller, login, today
):
    txn = _deposit(sukarela, teller, today)
    c = login("bendahara")
    body = c.get(f"/buku-besar/jurnal/{txn.journal_entry_id}/").content.decode()
    assert "Posting pembalik" not in body and "Batalkan" in body
    resp = c.post(
        f"/buku-besar/jurnal/{txn.journal_entry_id}/",
        {"date": today.isoformat(), "reason": "x"},
        follow=True,
    )
    assert resp.status_code == 200
    assert not JournalEntry.objects.filter(reverses=txn.journal_entry).exists()


# --- savings' own reversal --------------------------------------------------------------


def test_teller_reverse_of_a_deposit_corrects_the_account_and_the_ledger(
    sukarela, teller, bendahara, today
):
    cash = account_for_role("cash")
    cash_before = account_balance(account=cash)
    txn = _deposit(sukarela, teller, today)
    rev = teller_reverse(txn=txn, on=today, reason="salah rekening", by=bendahara)
    sukarela.refresh_from_db()
    assert sukarela.balance == 0
    assert (rev.kind, rev.delta, rev.reverses_id) == ("reversal", D("-500000"), txn.pk)
    assert rev.journal_entry.reverses_id == txn.journal_entry_id
    assert account_balance(account=cash) == cash_before
    assert AuditEvent.objects.filter(action="savings.reverse", reason="salah rekening").exists()
    assert_reconciled()


def test_teller_reverse_of_a_withdrawal_credits_the_money_back(sukarela, teller, bendahara, today):
    _deposit(sukarela, teller, today)
    w = teller_withdraw(account=sukarela, amount=D("200000"), channel="cash", on=today, by=teller)
    rev = teller_reverse(txn=w, on=today, reason="batal tarik", by=bendahara)
    sukarela.refresh_from_db()
    assert sukarela.balance == D("500000") and rev.delta == D("200000")
    assert_reconciled()


def test_reversing_a_deposit_already_withdrawn_is_refused(sukarela, teller, bendahara, today):
    txn = _deposit(sukarela, teller, today)
    teller_withdraw(account=sukarela, amount=D("400000"), channel="cash", on=today, by=teller)
    before = (SavingsTransaction.objects.count(), JournalEntry.objects.count())
    with pytest.raises(ApplicationError) as exc:
        teller_reverse(txn=txn, on=today, reason="salah", by=bendahara)
    assert exc.value.code == "savings_insufficient_balance"
    assert exc.value.message == (
        f"Setoran {txn.receipt_number} tidak dapat dibatalkan: saldo rekening tinggal "
        "Rp 100.000, kurang dari Rp 500.000 (sudah ditarik)."
    )
    assert (SavingsTransaction.objects.count(), JournalEntry.objects.count()) == before
    sukarela.refresh_from_db()
    assert sukarela.balance == D("100000")


def test_a_transaction_is_reversed_once_and_reversals_are_not_reversed(
    sukarela, teller, bendahara, today
):
    txn = _deposit(sukarela, teller, today)
    rev = teller_reverse(txn=txn, on=today, reason="salah", by=bendahara)
    with pytest.raises(ApplicationError) as exc:
        teller_reverse(txn=txn, on=today, reason="lagi", by=bendahara)
    assert exc.value.code == "savings_reversal_refused" and exc.value.status_code == 409
    with pytest.raises(ApplicationError) as exc:
        teller_reverse(txn=rev, on=today, reason="balik", by=bendahara)
    assert exc.value.code == "savings_reversal_refused"


def test_teller_reverse_is_for_bendahara_and_admin_only(sukarela, teller, today):
    txn = _deposit(sukarela, teller, today)
    with pytest.raises(ApplicationError) as exc:
        teller_reverse(txn=txn, on=today, reason="salah", by=teller)
    assert exc.value.status_code == 403


def test_reverse_through_the_api(sukarela, teller, login, today):
    txn = _deposit(sukarela, teller, today)
    url = f"/api/v1/savings/transactions/{txn.pk}/reverse/"
    assert (
        login("petugas").post(url, {"reason": "x"}, content_type="application/json").status_code
        == 403
    )
    resp = login("bendahara").post(url, {"reason": ""}, content_type="application/json")
    assert resp.status_code == 400
    resp = login("bendahara").post(url, {"reason": "salah"}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["reverses"] == txn.pk and resp.json()["delta"] == "-500000.00"
    again = login("bendahara").post(url, {"reason": "lagi"}, content_type="application/json")
    assert again.status_code == 409
    assert_reconciled()


def test_reverse_button_on_the_account_page(sukarela, teller, login, today):
    txn = _deposit(sukarela, teller, today)
    page = f"/simpanan/rekening/{sukarela.pk}/"
    assert "Batalkan transaksi" not in login("petugas").get(page).content.decode()
    c = login("bendahara")
    assert "Batalkan transaksi" in c.get(page).content.decode()
    url = f"/simpanan/transaksi/{txn.pk}/batal/"
    box = c.post(url, {"reason": "salah"}).content.decode().split('id="confirm"')[1]
    assert "Jumlah dibalik" in box and "Saldo setelah dibatalkan" in box
    assert f"Ya, batalkan {format_rupiah(txn.amount)}" in box
    sukarela.refresh_from_db()
    assert sukarela.balance == txn.amount  # only the confirmed POST reverses
    resp = c.post(url, {"reason": "salah", "confirmed": "1"}, follow=True)
    assert resp.status_code == 200 and "dibatalkan" in resp.content.decode()
    sukarela.refresh_from_db()
    assert sukarela.balance == 0
    assert "Batalkan transaksi" not in c.get(page).content.decode()


def test_teller_reverse_refused_once_the_month_is_closed(
    products, member_a, teller, bendahara, today
):
    from datetime import timedelta

    from core.ledger.models import Period
    from core.ledger.services import fiscal_year_ensure, period_close

    earlier = today.replace(day=1) - timedelta(days=10)  # a day of last month
    fiscal_year_ensure(year=earlier.year)  # in January: last year, opened as an admin would
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=earlier)
    txn = _deposit(acc, teller, earlier)
    period_close(period=Period.objects.get(start_date=earlier.replace(day=1)), by=bendahara)
    with pytest.raises(ApplicationError) as exc:
        teller_reverse(txn=txn, on=today, reason="salah", by=bendahara)  # the view's date
    assert exc.value.code == "savings_reversal_period_closed"
    assert exc.value.status_code == 409 and txn.receipt_number in str(exc.value.message)
    assert not SavingsTransaction.objects.filter(reverses=txn).exists()
    acc.refresh_from_db()
    assert acc.balance == D("500000")
    assert_reconciled()


# --- the day's cash summary counts cancellations ---------------------------------------


def test_daily_cash_summary_counts_a_cancelled_deposit(sukarela, teller, bendahara, today):
    from core.savings.selectors import teller_daily_summary

    # a typo: 1,000,000 keyed instead of 100,000; cancelled and keyed again
    wrong = _deposit(sukarela, teller, today, "1000000")
    teller_reverse(txn=wrong, on=today, reason="salah ketik", by=bendahara)
    _deposit(sukarela, teller, today, "100000")
    sukarela.refresh_from_db()
    assert sukarela.balance == D("100000")
    rows = teller_daily_summary(on=today)
    assert [(r.user_id, r.channel, r.deposits, r.cancelled, r.count, r.net) for r in rows] == [
        (teller.pk, "cash", D("1100000"), D("-1000000"), 3, D("100000"))
    ]  # the cancellation is the drawer of the teller who keyed the receipt
    mine = teller_daily_summary(on=today, user=teller)
    assert [r.net for r in mine] == [D("100000")]
    assert_reconciled()


def test_cancellation_counts_on_the_day_it_was_made(sukarela, teller, bendahara, today):
    from datetime import timedelta

    from core.savings.selectors import teller_daily_summary, teller_transactions

    yesterday = today - timedelta(days=1)
    txn = _deposit(sukarela, teller, yesterday, "300000")
    rev = teller_reverse(txn=txn, on=today, reason="salah anggota", by=bendahara)
    then = teller_daily_summary(on=yesterday)
    assert [(r.deposits, r.cancelled, r.net) for r in then] == [(D("300000"), 0, D("300000"))]
    now = teller_daily_summary(on=today, user=teller)
    assert [(r.deposits, r.cancelled, r.count, r.net) for r in now] == [
        (0, D("-300000"), 1, D("-300000"))
    ]  # the 300,000 went back out of the drawer today
    assert list(teller_transactions(on=today, user=teller)) == [rev]
    assert list(teller_transactions(on=yesterday)) == [txn]


def test_daily_summary_page_lists_the_cancellation(sukarela, teller, bendahara, login, today):
    from django.urls import reverse

    wrong = _deposit(sukarela, teller, today, "1000000")
    teller_reverse(txn=wrong, on=today, reason="salah ketik", by=bendahara)
    _deposit(sukarela, teller, today, "100000")
    page = login("bendahara").get(reverse("savings:teller_summary"), {"on": today.isoformat()})
    body = page.content.decode()
    assert page.status_code == 200
    assert [r.net for r in page.context["rows"]] == [D("100000")]
    assert body.count('class="cancelled"') == 1
    assert f'Pembatalan <a href="{reverse("savings:receipt", args=[wrong.pk])}"' in body
    assert format_rupiah(D("-1000000")) in body


# --- control accounts -------------------------------------------------------------------


def test_savings_product_accounts_are_control_accounts(products):
    for p in products.values():
        assert Account.objects.get(pk=p.account_id).is_control


def test_manual_entry_on_a_savings_control_account_is_refused(sukarela, bendahara, login, today):
    control = account_for_role("savings_sukarela")
    with pytest.raises(ApplicationError) as exc:
        journal_post(
            on=today,
            description="Langsung ke simpanan",
            by=bendahara,
            lines=[LineSpec("1101", debit=D("500")), LineSpec(control, credit=D("500"))],
        )
    assert exc.value.code == "control_account"
    resp = login("bendahara").post(
        "/api/v1/ledger/entries/",
        {
            "date": today.isoformat(),
            "description": "Langsung ke simpanan",
            "lines": [
                {"account": "1101", "debit": "500"},
                {"account": control.code, "credit": "500"},
            ],
        },
        content_type="application/json",
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "control_account"
    assert_reconciled()


def test_db_refuses_reversal_row_without_original_and_second_reversal(
    sukarela, teller, bendahara, today
):
    txn = _deposit(sukarela, teller, today)
    teller_reverse(txn=txn, on=today, reason="salah", by=bendahara)
    for reverses in (None, txn.pk):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                'INSERT INTO savings_savingstransaction (account_id, "on", kind, channel,'
                " amount, delta, balance_after, memo, reverses_id, created_at)"
                " VALUES (%s, %s, 'reversal', 'cash', 1, 1, 1, '', %s, now())",
                [sukarela.pk, today, reverses],
            )


def test_db_marks_a_remapped_product_account_as_control(products, in_tenant_a):
    acc = Account.objects.get(code="2106")
    assert not acc.is_control
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE savings_savingsproduct SET account_id = %s WHERE id = %s",
            [acc.pk, products["sukarela"].pk],
        )
    acc.refresh_from_db()
    assert acc.is_control
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE ledger_account SET is_control = false WHERE id = %s", [acc.pk])
