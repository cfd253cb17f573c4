"""The database's own rule on repayments: every repayment has its journal entry at commit
(a deferred constraint trigger), checked for the rows inserted without one; a row
inserted already linked cannot lose the link (the immutability trigger)."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction

from core.ledger.services import LineSpec, journal_entry_id_reserve, journal_post
from core.loans.models import Repayment


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
