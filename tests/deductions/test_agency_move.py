"""A member moving agency (instansi) mid-month: this month's list, already made, asks
them on the old agency's list; next month's on the new one's; never both, never none."""

from core.deductions.models import DeductionLine
from core.members.services import member_update

from .conftest import make_run


def _agencies_asking(member, run):
    return list(
        DeductionLine.objects.filter(run=run, member=member).values_list("agency__code", flat=True)
    )


def test_member_moving_agency_mid_month_is_asked_once_each_month(coop, cutoffs):
    ag_a, ag_b = coop["agencies"]
    m1 = coop["m"][0]  # DISDIK, with a running loan: asked every month
    this = make_run(on=cutoffs[0], by=coop["by"])
    assert _agencies_asking(m1, this) == ["DISDIK"]

    member_update(member=m1, by=coop["staff"]["petugas"], agency=ag_b, reason="mutasi")

    # the list made before the move stays as sent to the old agency
    assert _agencies_asking(m1, this) == ["DISDIK"]
    nxt = make_run(on=cutoffs[1], by=coop["by"])
    assert _agencies_asking(m1, nxt) == ["DINKES"]
    assert not DeductionLine.objects.filter(run=nxt, member=m1, agency=ag_a).exists()
