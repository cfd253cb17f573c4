"""A brought-in loan arrived disbursed in the move-in's opening entry: its disbursement
cannot be reversed in the loans module, and the refusal says where it is corrected
(the move-in), not "use the loans module", where the user already is."""

import pytest
from django.db.models import Count

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.loans.services import loan_disbursement_reverse
from core.loans.services.common import LoanErrors
from core.loans.services.reversal import disbursement_reversal_refusal
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post

from .helpers import arrears_row
from .test_brought_in_jasa import TB


@pytest.fixture
def loan(move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    (ln,) = loans_import(move_in=move_in, rows=[arrears_row(members[1], cutover)], by=by)
    ln.refresh_from_db()
    return ln


def test_brought_in_disbursement_refusal_points_to_the_move_in(loan, by):
    refusal = disbursement_reversal_refusal(loan)
    assert refusal is not None
    assert refusal.code == LoanErrors.REVERSAL_NOT_HERE
    assert "Pindah ke Lumbung" in refusal.message
    entries = JournalEntry.objects.aggregate(n=Count("pk"))["n"]
    with pytest.raises(ApplicationError) as exc:
        loan_disbursement_reverse(loan=loan, by=by, reason="salah impor")
    assert exc.value.code == LoanErrors.REVERSAL_NOT_HERE
    assert JournalEntry.objects.count() == entries
    loan.refresh_from_db()
    assert loan.status == loan.Status.DISBURSED
