"""A payroll-deduction month is said in words on the screens and in messages ("Potong
gaji Maret 2026", "bukan Maret 2026"), not as ``03/2026``; the run's ``label`` (its
code in journal descriptions, the audit and the API) is unchanged."""

from datetime import date

from core.common.dates import MONTHS_EN, format_bulan
from core.deductions.services import deduction_import_upload

from .conftest import csv_bytes, login


def test_the_run_s_month_is_said_in_words_and_its_code_kept(ready_run):
    run = ready_run
    assert run.month_shown == format_bulan(date(run.year, run.month, 1))
    assert run.label == f"{run.month:02d}/{run.year}"


def test_the_run_page_heading_says_the_month_in_words(coop, ready_run):
    page = login(coop["by"]).get(f"/potong-gaji/{ready_run.pk}/").content.decode()
    assert f"<h1>Potong gaji {ready_run.month_shown}</h1>" in page
    assert f"Potong gaji {ready_run.label}<" not in page


def test_a_file_titled_with_another_month_is_refused_naming_both_in_words(coop, ready_run):
    run = ready_run
    other = 12 if run.month != 12 else 11
    content = b"Bulan " + (b"Desember" if other == 12 else b"November")
    content += f" {run.year - 1}\n".encode() + csv_bytes([["1", "1"]])
    imp = deduction_import_upload(
        run=run, agency=coop["agencies"][0], content=content, file_name="r.csv", by=coop["by"]
    )
    text = f"{imp.file_errors} {imp.errors}"
    shown = ("Desember" if other == 12 else "November") + f" {run.year - 1}"
    assert f"Judul berkas menyebut bulan {shown}, bukan {run.month_shown}." in text, text


def test_the_run_is_named_by_its_month_in_words_in_either_language(ready_run):
    from django.utils import translation

    with translation.override("en"):
        assert str(ready_run) == format_bulan(date(ready_run.year, ready_run.month, 1))
        assert str(ready_run) == f"{MONTHS_EN[ready_run.month - 1]} {ready_run.year}"
    with translation.override("id"):
        assert str(ready_run) == ready_run.month_shown


def _run_create_refusal(*, year: int, month: int, by) -> str:
    import pytest

    from core.common.errors import ApplicationError
    from core.deductions.services import deduction_run_create

    with pytest.raises(ApplicationError) as e:
        deduction_run_create(year=year, month=month, by=by)
    return str(e.value.message)


def test_a_month_listed_twice_or_before_its_cut_off_is_refused_in_words(coop, cutoffs):
    from django.utils import translation

    from core.common.dates import MONTHS_ID
    from core.loans.schedules import add_months

    from .conftest import make_run

    by, on = coop["by"], cutoffs[1]
    make_run(on=on, by=by)
    msg = _run_create_refusal(year=on.year, month=on.month, by=by)
    assert msg == f"Daftar potong gaji {MONTHS_ID[on.month - 1]} {on.year} sudah ada.", msg
    with translation.override("en"):
        msg = _run_create_refusal(year=on.year, month=on.month, by=by)
    assert f"{MONTHS_EN[on.month - 1]} {on.year}" in msg and "/" not in msg, msg
    nxt = add_months(on, 1)
    msg = _run_create_refusal(year=nxt.year, month=nxt.month, by=by)
    assert msg.startswith(f"Cut-off bulan {MONTHS_ID[nxt.month - 1]} {nxt.year} ("), msg
    with translation.override("en"):
        msg = _run_create_refusal(year=nxt.year, month=nxt.month, by=by)
    assert f"{MONTHS_EN[nxt.month - 1]} {nxt.year}" in msg and f"/{nxt.year}" not in msg, msg


def test_the_dashboard_names_this_month_s_run_in_words(coop, cutoffs):
    from django.utils import translation

    from core.common.dates import MONTHS_ID
    from core.deductions.selectors import deduction_run_status

    from .conftest import make_run

    on = cutoffs[1]
    make_run(on=on, by=coop["by"])
    [status] = deduction_run_status(year=on.year, month=on.month)
    assert status["label"] == f"{MONTHS_ID[on.month - 1]} {on.year}"
    with translation.override("en"):
        [status] = deduction_run_status(year=on.year, month=on.month)
    assert status["label"] == f"{MONTHS_EN[on.month - 1]} {on.year}"
