# ruff: noqa: F811, F401
"""An exit write-off that migration 0028 backfilled (from a settlement posted before the
write-off record existed) has no snapshot of the loan as it was and no deferred penalty:
the settlement's entry debits the deferred jasa income account once per loan for the
whole deferred amount (jasa and capitalised penalty share the account), so the penalty
part cannot be read back from it. The loan page and the API say *(tidak dicatat)* /
null for them, never a 0 that was not known; a write-off the settlement recorded itself
shows its figures."""

import importlib
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.db import connection

from core.loans.models import LoanWriteOff
from tests.loans.conftest import _media, make_loan, member, product, staff

from .test_settlement_write_off_record import _exit_waived, _moved, two_loans

D = Decimal
backfill = importlib.import_module(
    "core.loans.migrations.0028_writeoff_at_exit_backfill"
).exit_write_offs_backfill


def _as_before_0027(settlement) -> None:
    """The settlement as one posted before the write-off record existed, then migration
    0028 run over it: its write-offs are made again by the backfill."""
    LoanWriteOff.objects.filter(exit_settlement=settlement).delete()
    backfill(apps, connection.schema_editor())


def _loan_page(client, loan) -> str:
    return client.get(f"/pinjaman/{loan.pk}/").content.decode()


def test_a_recorded_exit_write_off_shows_its_deferred_penalty_and_grade(
    two_loans, staff, client_a, today
):
    member, macet, _young = two_loans
    _exit_waived(member, staff, today)
    client_a.force_login(staff["ketua"])
    html = _loan_page(client_a, macet)
    penalty = html.split('id="write-off-deferred-penalty"')[1].split("</tr>")[0]
    grade = html.split('id="write-off-grade-before"')[1].split("</tr>")[0]
    assert "Rp 0" in penalty and "tidak dicatat" not in penalty
    assert "Macet" in grade
    assert 'id="write-off-not-recorded"' not in html
    (row,) = client_a.get(f"/api/v1/loans/write-offs/?loan={macet.pk}").json()["results"]
    assert (row["deferred_penalty"], row["snapshot_recorded"], row["grade_before"]) == (
        "0.00",
        True,
        "macet",
    )


def test_a_backfilled_exit_write_off_says_not_recorded_not_zero(two_loans, staff, client_a, today):
    member, macet, young = two_loans
    settlement = _exit_waived(member, staff, today)
    _as_before_0027(settlement)
    wo = LoanWriteOff.objects.get(loan=macet)
    # the backfill's figures are the entry's: one deferred jasa line, no penalty apart
    moved = _moved(settlement.journal_entry, macet)
    assert (wo.principal, wo.ppap_used) == (moved["loan_receivable"][1], D("7500000"))
    assert (wo.loan_before, wo.deferred_penalty) == ({}, D("0"))
    assert wo.snapshot_recorded is False and wo.deferred_penalty_recorded is None

    client_a.force_login(staff["ketua"])
    html = _loan_page(client_a, macet)
    penalty = html.split('id="write-off-deferred-penalty"')[1].split("</tr>")[0]
    grade = html.split('id="write-off-grade-before"')[1].split("</tr>")[0]
    assert "(tidak dicatat)" in penalty and "Rp" not in penalty
    assert "(tidak dicatat)" in grade
    assert 'id="write-off-not-recorded"' in html
    (row,) = client_a.get(f"/api/v1/loans/write-offs/?loan={macet.pk}").json()["results"]
    assert (row["deferred_penalty"], row["snapshot_recorded"], row["grade_before"]) == (
        None,
        False,
        None,
    )
    assert row["principal"] == "10000000.00" and row["route"] == "exit"
