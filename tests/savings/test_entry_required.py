"""The database's own rule on savings transactions: each has its journal entry at commit
(the deferred constraint trigger ``savings_txn_entry_required``, migration 0020), checked
for the rows inserted without one; a row inserted already linked (the payroll batch, the
member import) queues no check and cannot lose the link (``savings_txn_guard``).

A test inside the usual rolled-back transaction never commits, so the committed cases run
in a scratch cooperative; the others ask for the check at once (``SET CONSTRAINTS …
IMMEDIATE``, what COMMIT runs). The check names itself (migration 0021): if it ever
fires, the person reads the savings app's refusal, not a server error."""

from decimal import Decimal as D
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import core.savings.services.teller as teller_services
from core.common.db_refusals import db_refusal_error
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_entry_id_reserve, journal_post
from core.savings.batch import Deposit, savings_deposits_apply_bulk
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.seeding import product_by_kind
from core.savings.services import (
    savings_account_open,
    savings_deposit_apply,
    teller_deposit,
    transactions_link_entry,
)
from tenants.services import tenant_host
from tests.members import factories as f

MISSING = "has no journal entry at commit"


def _check_now():
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS savings_txn_entry_required IMMEDIATE")


def _post(applied, on, by, ref, entry_id=None):
    total = sum((ln.credit for ln in applied.lines), D(0))
    return journal_post(
        on=on,
        description="setoran uji",
        lines=[LineSpec(account_for_role("bank"), debit=total), *applied.lines],
        source="savings",
        source_ref=ref,
        by=by,
        entry_id=entry_id,
    )


def _sukarela(on):
    return savings_account_open(member=f.member(), product=product_by_kind("sukarela"), on=on)


def test_a_transaction_committed_without_its_entry_is_refused_and_nothing_stays(
    scratch_tenant,
):
    connection.set_tenant(scratch_tenant)
    today = timezone.localdate()
    teller = f.user("petugas")
    acc = _sukarela(today)
    with pytest.raises(IntegrityError, match=MISSING), transaction.atomic():
        # the sub-ledger written, the entry never posted nor linked
        savings_deposit_apply(account=acc, amount=D("10000"), on=today, by=teller)
    assert not SavingsTransaction.objects.filter(account=acc).exists()
    assert SavingsAccount.objects.get(pk=acc.pk).balance == 0


def test_transactions_linked_by_commit_are_committed(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    today = timezone.localdate()
    teller = f.user("petugas")
    acc = _sukarela(today)
    # at the counter (the service links its entry)
    teller_deposit(account=acc, amount=D("10000"), channel="cash", on=today, by=teller)
    # written first, linked after posting, in one transaction
    with transaction.atomic():
        a = savings_deposit_apply(account=acc, amount=D("2000"), on=today, by=teller)
        transactions_link_entry(
            transactions=[a.transaction], entry=_post(a, today, teller, "uji-link")
        )
    # written linked to a reserved entry (the payroll batch)
    with transaction.atomic():
        entry_id = journal_entry_id_reserve()
        (b,) = savings_deposits_apply_bulk(
            deposits=[Deposit(account=acc, amount=D("3000"), kind="payroll", channel="payroll")],
            on=today,
            by=teller,
            entry_id=entry_id,
        )
        _post(b, today, teller, "uji-reserved", entry_id=entry_id)
    txns = SavingsTransaction.objects.filter(account=acc)
    assert txns.count() == 3 and not txns.filter(journal_entry__isnull=True).exists()
    assert SavingsAccount.objects.get(pk=acc.pk).balance == D("15000")


def test_unlinked_transaction_fails_the_check(products, teller, today):
    acc = savings_account_open(member=f.member(), product=products["sukarela"], on=today)
    sid = transaction.savepoint()
    a = savings_deposit_apply(account=acc, amount=D("1000"), on=today, by=teller)
    with pytest.raises(IntegrityError, match=MISSING) as e:
        _check_now()
    assert f"savings transaction {a.transaction.pk} (deposit, account {acc.pk})" in str(e.value)
    transaction.savepoint_rollback(sid)


def test_no_kind_is_exempt(products, teller, today):
    """Every movement is money moved in the books, an opening balance or a settlement's
    payout as much as a deposit: none may stay without its entry."""
    acc = savings_account_open(member=f.member(), product=products["sukarela"], on=today)
    for kind, channel in (("opening", "opening"), ("transfer_in", "internal")):
        sid = transaction.savepoint()
        savings_deposit_apply(
            account=acc, amount=D("1000"), on=today, by=teller, kind=kind, channel=channel
        )
        with pytest.raises(IntegrityError, match=MISSING):
            _check_now()
        transaction.savepoint_rollback(sid)


def test_linked_after_posting_passes_the_check(products, teller, today):
    acc = savings_account_open(member=f.member(), product=products["sukarela"], on=today)
    a = savings_deposit_apply(account=acc, amount=D("1000"), on=today, by=teller)
    transactions_link_entry(transactions=[a.transaction], entry=_post(a, today, teller, "uji-1"))
    _check_now()


def test_only_rows_inserted_without_an_entry_queue_the_check(products, in_tenant_a):
    """The WHEN clause: a row inserted linked (the payroll batch) costs nothing at commit."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_get_triggerdef(t.oid), t.tgdeferrable, t.tginitdeferred"
            " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE t.tgname = 'savings_txn_entry_required' AND n.nspname = current_schema()"
        )
        definition, deferrable, deferred = cur.fetchone()
    assert "AFTER INSERT" in definition and deferrable and deferred
    assert "WHEN ((new.journal_entry_id IS NULL))" in definition


def test_the_link_once_made_is_for_good(products, teller, today):
    acc = savings_account_open(member=f.member(), product=products["sukarela"], on=today)
    txn = teller_deposit(account=acc, amount=D("1000"), channel="cash", on=today, by=teller)
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        SavingsTransaction.objects.filter(pk=txn.pk).update(journal_entry=None)


# --- the refusal a person reads when the check fires (migration 0021) -------------------


def test_the_missing_entry_refusal_names_the_account(products, teller, today):
    """The check names itself (``savings_txn_entry_required``) and the account; it reads
    as the savings app's refusal, not a server error."""
    acc = savings_account_open(member=f.member(), product=products["sukarela"], on=today)
    sid = transaction.savepoint()
    savings_deposit_apply(account=acc, amount=D("1000"), on=today, by=teller)
    with pytest.raises(IntegrityError, match=MISSING) as e:
        _check_now()
    transaction.savepoint_rollback(sid)
    err = db_refusal_error(e.value)
    assert err is not None, e.value
    assert (err.code, err.status_code) == ("savings_entry_missing", 409)
    assert f"Transaksi simpanan rekening {acc.number} tidak disimpan" in err.message
    assert "Tidak ada yang berubah" in err.message


def test_a_deposit_committed_without_its_entry_is_a_clear_refusal_on_the_api_and_the_page(
    scratch_tenant,
):
    """A teller service that forgot to link its entry (made so here): at commit the check
    fires; the API answers the refusal as its JSON error, the teller screen a page
    saying why (not a 500), and nothing of the deposit stays."""
    connection.set_tenant(scratch_tenant)
    today = timezone.localdate()
    acc = _sukarela(today)
    client = Client(HTTP_HOST=tenant_host(scratch_tenant.slug))
    client.force_login(f.user("petugas"))
    entries = JournalEntry.objects.count()
    with mock.patch.object(teller_services, "transactions_link_entry", lambda **kw: None):
        api = client.post(
            "/api/v1/savings/transactions/",
            {"account": acc.pk, "action": "deposit", "amount": "10000", "channel": "cash"},
            content_type="application/json",
        )
        page = client.post(
            reverse("savings:teller") + f"?member={acc.member_id}",
            {"account": acc.pk, "action": "deposit", "amount": "10.000", "channel": "cash"},
        )
    assert api.status_code == 409, api.content
    error = api.json()["error"]
    assert error["code"] == "savings_entry_missing"
    assert acc.number in error["message"] and "tidak disimpan" in error["message"]
    assert page.status_code == 409, page.content
    html = page.content.decode()
    assert "Perubahan ditolak" in html
    assert f"Transaksi simpanan rekening {acc.number} tidak disimpan" in html
    assert not SavingsTransaction.objects.filter(account=acc).exists()
    assert JournalEntry.objects.count() == entries
    assert SavingsAccount.objects.get(pk=acc.pk).balance == 0
