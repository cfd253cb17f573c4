"""A batch dated before the cooperative's books start is refused with the date, before
the confirmation page, as a date before the run's month already was (found walking the
demo: the January 2025 list of a cooperative whose books start 1 January 2026 showed
"Konfirmasi posting … tanggal uang diterima 1 Februari 2025" and "Ya, posting", and was
refused only after the click)."""

from datetime import date

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.ledger.services import books_start

from .conftest import make_run


def test_posting_date_before_the_books_start_is_refused_naming_both_dates(coop):
    start = books_start()
    before = date(start.year - 1, 12, 1)
    run = make_run(on=date(before.year, before.month, 1), by=coop["by"])
    on = date(before.year, 12, 20)
    with pytest.raises(ApplicationError) as e:
        svc.posting_date_clean(run, on.isoformat())
    assert str(e.value.message) == (
        f"Tanggal {format_tanggal(on)} sebelum awal pembukuan koperasi ({format_tanggal(start)})."
    )
    assert e.value.fields == {"on": ["Sebelum awal pembukuan."]}


def test_posting_date_on_the_books_start_is_taken(coop):
    start = books_start()
    run = make_run(on=date(start.year - 1, 12, 1), by=coop["by"])
    assert svc.posting_date_clean(run, start.isoformat()) == start
