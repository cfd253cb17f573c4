"""A payroll list of a month before the cooperative's books start is generated, and it
can be posted: not on its payday (before the books start: refused, naming both dates),
but on the day the money was received from the books start on (``posting_date_clean``
only asks a received date not before the run's month nor the books start). So a list of
such a month is not refused when it is made (the question asked of this case: could it
never be posted? it can)."""

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.ledger.services import books_start

from .conftest import HOST, csv_bytes, make_run


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


def test_the_runs_page_says_its_payday_is_before_the_books_start(coop):
    """The page says why its payday cannot be the posting date and proposes the books'
    first day, and asks to make sure these deductions are not in the opening balances
    already (a list of a month before the books start)."""
    start = books_start()
    before = make_run(on=date(start.year - 1, 1, 1), by=coop["by"])
    c = Client(HTTP_HOST=HOST)
    c.force_login(coop["by"])
    page = " ".join(c.get(f"/potong-gaji/{before.pk}/").content.decode().split())
    assert 'id="before-books"' in page
    assert format_tanggal(before.payday) in page and format_tanggal(start) in page
    assert "saldo awal" in page
    c.cookies["django_language"] = "en"
    page = " ".join(c.get(f"/potong-gaji/{before.pk}/").content.decode().split())
    assert 'id="before-books"' in page and "opening balances" in page
    # an agency's file: its page proposes the books' first day as the received date
    ag = coop["agencies"][1]
    rows = [(ln.nip, int(ln.total)) for ln in before.lines.filter(agency=ag)]
    imp = svc.deduction_import_upload(
        run=before, agency=ag, content=csv_bytes(rows), file_name="b.csv", by=coop["by"]
    )
    page = c.get(f"/potong-gaji/impor/{imp.pk}/").content.decode()
    assert f'name="on" value="{start.isoformat()}"' in page


def test_a_runs_page_of_a_month_in_the_books_says_nothing_of_it(coop):
    start = books_start()
    run = make_run(on=max(start, timezone.localdate().replace(day=1)), by=coop["by"])
    assert run.payday >= start
    c = Client(HTTP_HOST=HOST)
    c.force_login(coop["by"])
    assert 'id="before-books"' not in c.get(f"/potong-gaji/{run.pk}/").content.decode()
