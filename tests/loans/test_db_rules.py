"""The database's own rule on repayments: every repayment has its journal entry at commit
(a deferred constraint trigger), checked for the rows inserted without one; a row
inserted already linked cannot lose the link (the immutability trigger). The check names
itself (migration 0022): if it ever fires, the person reads the loans app's refusal."""

from datetime import timedelta
from decimal import Decimal as D
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

import core.loans.services.repayment as repayment
from core.common.db_refusals import db_refusal_error
from core.ledger.models import JournalEntry
from core.ledger.services import (
    LineSpec,
    fiscal_year_ensure,
    journal_entry_id_reserve,
    journal_post,
)
from core.loans.models import LoanProduct, Repayment
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import loan_made


def _repayment(loan, today, **kw):
    rep = Repayment(
        loan=loan,
        paid_on=today,
        channel=kw.pop("channel", Repayment.Channel.COUNTER),
        kind=Repayment.Kind.INSTALMENT,
        amount=D(1000),
        jasa=D(1000),
        **kw,
    )
    rep.save()
    return rep


def _check_now():
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS loans_repayment_entry_required IMMEDIATE")


def test_a_repayment_without_entry_cannot_commit(make_loan, today):
    loan = make_loan()
    sid = transaction.savepoint()
    _repayment(loan, today)
    with pytest.raises(IntegrityError, match="has no journal entry at commit"):
        _check_now()
    transaction.savepoint_rollback(sid)


def test_linked_at_insert_or_settlement_needs_no_entry_check(make_loan, staff, today):
    loan = make_loan()
    entry_id = journal_entry_id_reserve()
    linked = _repayment(loan, today, entry_id=entry_id)
    _repayment(loan, today, channel=Repayment.Channel.SETTLEMENT)  # booked by the settlement
    _check_now()
    journal_post(
        on=today,
        description="uji",
        lines=[LineSpec("1101", debit=D(1000)), LineSpec("3106", credit=D(1000))],
        by=staff["bendahara"],
        entry_id=entry_id,
    )
    # the link is for good
    with pytest.raises(IntegrityError, match="not allowed"), transaction.atomic():
        Repayment.objects.filter(pk=linked.pk).update(entry=None)


# --- the refusal a person reads when the check fires (migration 0022) -------------------


def test_the_missing_entry_refusal_names_the_loan(make_loan, today):
    """The check names itself (``loans_repayment_entry_required``) and the loan; it reads
    as the loans app's refusal, not a server error."""
    loan = make_loan()
    sid = transaction.savepoint()
    _repayment(loan, today)
    with pytest.raises(IntegrityError) as e:
        _check_now()
    transaction.savepoint_rollback(sid)
    err = db_refusal_error(e.value)
    assert err is not None, e.value
    assert (err.code, err.status_code) == ("loan_repayment_entry_missing", 409)
    assert f"Pembayaran pinjaman {loan.number} tidak disimpan" in err.message
    assert "Tidak ada yang berubah" in err.message


def test_a_repayment_committed_without_its_entry_is_a_clear_refusal_on_the_api(
    scratch_tenant, today
):
    """A repayment service that forgot to link its entry (made so here): at commit the
    check fires, the API answers the refusal as its JSON error (not a 500) and nothing
    of the repayment stays: no repayment, no entry, the loan as it was."""
    connection.set_tenant(scratch_tenant)
    staff = {r: f.user(r) for r in ("ketua", "bendahara", "petugas")}
    for year in range(today.year, (today - timedelta(days=75)).year - 1, -1):
        fiscal_year_ensure(year=year)
    product = LoanProduct.objects.create(
        code="TST",
        name="Produk Uji",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        min_membership_months=6,
    )
    member = f.member(take_home_pay=D("15000000"))
    loan = loan_made(staff, member, product, today, days_ago=75)
    outstanding = loan.principal_outstanding
    entries = JournalEntry.objects.count()
    client = Client(HTTP_HOST=tenant_host(scratch_tenant.slug))
    client.force_login(staff["bendahara"])
    with mock.patch.object(repayment, "loan_repayments_attach_entry", lambda **kw: 0):
        resp = client.post(
            f"/api/v1/loans/{loan.pk}/repay/",
            {"amount": "1.100.000", "on": today.isoformat()},
            content_type="application/json",
        )
    assert resp.status_code == 409, resp.content
    error = resp.json()["error"]
    assert error["code"] == "loan_repayment_entry_missing"
    assert loan.number in error["message"] and "tidak disimpan" in error["message"]
    assert not Repayment.objects.filter(loan=loan).exists()
    assert JournalEntry.objects.count() == entries
    loan.refresh_from_db()
    assert loan.principal_outstanding == outstanding
