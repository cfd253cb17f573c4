"""A running loan's number brought in from the old books is text kept on the loan: a
control character in it is that row's error, and nothing is imported."""

import pytest

from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post

from .helpers import loan_row
from .test_loans_import import TB


def test_loan_number_with_a_control_character_is_the_rows_error(
    move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    move_in.refresh_from_db()
    before = Loan.objects.count()
    rows = [loan_row(members[0], cutover, loan_number="LAMA\x01002")]
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=move_in, rows=rows, by=by)
    assert [(r["row"], r["field"], r["message"]) for r in e.value.fields["rows"]] == [
        (2, "loan_number", "Nomor pinjaman tidak boleh berisi karakter kontrol (tak terlihat).")
    ]
    assert Loan.objects.count() == before
