"""A payroll list of a month before the cooperative's books start is generated, and it
can be posted: not on its payday (before the books start: refused, naming both dates),
but on the day the money was received from the books start on (``posting_date_clean``
only asks a received date not before the run's month nor the books start). So a list of
such a month is not refused when it is made (the question asked of this case: could it
never be posted? it can)."""

from datetime import date

import pytest
from django.utils import timezone

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.ledger.services import books_start

from .conftest import csv_bytes, make_run


def test_a_list_of_a_month_before_the_books_start_posts_on_a_date_from_the_books_start(coop):
    start = books_start()
    run = make_run(on=date(start.year - 1, 1, 1), by=coop["by"])  # a whole year before
    assert run.status == "ready" and run.lines.exists()
    assert run.payday < start
    ag = coop["agencies"][1]
    rows = [(ln.nip, int(ln.total)) for ln in run.lines.filter(agency=ag)]
    imp = svc.deduction_import_upload(
        run=run, agency=ag, content=csv_bytes(rows), file_name="b.csv", by=coop["by"]
    )
    assert imp.status == "valid", imp.errors
    with pytest.raises(ApplicationError) as e:  # its payday, the default date: refused
        svc.deduction_import_post(imp=imp, by=coop["by"])
    assert format_tanggal(start) in str(e.value.message)
    imp.refresh_from_db()
    assert imp.status == "valid"
    posted = svc.deduction_import_post(imp=imp, by=coop["by"], on=timezone.localdate())
    assert posted.status == "posted" and posted.entry_id
