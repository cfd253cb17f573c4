"""A batch posting writes what was cut on every line of its agency in one UPDATE. The
lines are written agency by agency, so their pages hold one agency's lines and all of
them get a new, larger version (``paid_detail``) in that one transaction. The table's
fillfactor leaves room on each page for those versions, so the UPDATE keeps them on their
page and adds no entry to the table's indexes (a HOT update: migration deductions 0007).
Read from PostgreSQL's counters of this transaction."""

from decimal import Decimal as D

from django.db import connection

from core.deductions import services as svc
from core.deductions.models import DeductionLine
from tests.members import factories as f

from .conftest import assert_reconciled, csv_bytes, make_run


def _line_updates() -> tuple[int, int]:
    """(rows updated, of them HOT) in deductions_deductionline by this transaction."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relid = 'deductions_deductionline'::regclass"
        )
        return cur.fetchone()


def test_posting_a_batch_updates_its_lines_in_place(coop, cutoffs):
    by = coop["by"]
    agency = coop["agencies"][0]
    for _ in range(40):
        f.member(agency_obj=agency, take_home_pay=D("15000000"))
    run = make_run(on=cutoffs[1], by=by)
    lines = list(run.lines.filter(agency=agency).order_by("pk"))
    assert len(lines) == 43
    # every member's list cut in full, the first member's with 25,000 more (to sukarela)
    amounts = {ln.nip: ln.total for ln in lines}
    amounts[lines[0].nip] += 25_000
    imp = svc.deduction_import_upload(
        run=run,
        agency=agency,
        content=csv_bytes(list(amounts.items())),
        file_name="a.csv",
        by=by,
    )
    upd0, hot0 = _line_updates()
    svc.deduction_import_post(imp=imp, by=by)
    upd1, hot1 = _line_updates()

    assert upd1 - upd0 == 43  # each line once
    assert hot1 - hot0 == 43  # none moved to another page or added index entries
    posted = {ln.nip: ln for ln in DeductionLine.objects.filter(run=run, agency=agency)}
    assert {nip: ln.realized for nip, ln in posted.items()} == amounts
    assert posted[lines[0].nip].to_sukarela == D(25_000)
    assert all(ln.posted_import_id == imp.pk for ln in posted.values())
    assert_reconciled()
