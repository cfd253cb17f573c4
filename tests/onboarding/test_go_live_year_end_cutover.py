"""A move-in whose cut-over is a fiscal year's last day (31 December, the usual one) goes
live with its running loans: go-live closes December, and the loans' close guard (no
arrears run dated 31 December while loans ran on it) does not count the loans brought in
at that very cut-over, whose grade and PPAP came in with the old books (the opening
trial balance's allowance). A loan disbursed in Lumbung before it would still count."""

from datetime import date

import pytest
from django.utils import timezone

from core.ledger.models import Period
from core.onboarding.services import move_in_go_live

from .helpers import members_import


@pytest.fixture
def cutover():
    return date(timezone.localdate().year - 1, 12, 31)


def test_year_end_cutover_with_loans_goes_live(moved, by, cutover):
    members_import(by, cutover)
    mi = move_in_go_live(move_in=moved, by=by)
    assert mi.status == "live"
    assert Period.objects.get(end_date=cutover).status == "closed"
