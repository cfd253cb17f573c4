"""Why a payroll list could not be made is said in the reader's language, never as
Python's text: a refusal (``ApplicationError``) met while generating keeps its code and
the params of its message beside the text as written and is rendered again on the run
page and in the API; an unexpected exception is logged (Sentry takes it from there) and
the treasurer reads a plain "system error, try again". A run failed before codes shows
the text it stored."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import translation

from core.common.errors import ApplicationError
from core.common.said import Said
from core.deductions import services as svc
from core.deductions.models import DeductionRun
from core.deductions.services.common import E

from .conftest import login

REFUSAL_ID = "Periode tanggal"
REFUSAL_EN = "The period of"
SYSTEM_ID = "Daftar potongan gagal dibuat karena kesalahan sistem"
SYSTEM_EN = "The deduction list could not be made because of a system error"
PYTHON_TEXT = 'relation "deductions_deductionline" does not exist'


def _fail(coop, on, exc, lang="id") -> DeductionRun:
    """This month's run whose generation (as the task runs it, in ``lang``) meets ``exc``."""
    by = coop["by"]
    run = svc.deduction_run_create(year=on.year, month=on.month, by=by)
    with (
        translation.override(lang),
        mock.patch("core.deductions.services.runs.deduction_lines_build", side_effect=exc),
        pytest.raises(type(exc)),
    ):
        svc.deduction_run_generate(run=run, by=by)
    run.refresh_from_db()
    assert run.status == DeductionRun.Status.FAILED
    return run


def _page(coop, run, lang) -> str:
    c = login(coop["staff"]["ketua"])
    c.cookies["django_language"] = lang
    page = c.get(f"/potong-gaji/{run.pk}/").content.decode().replace("&#x27;", "'")
    progress = c.get(f"/potong-gaji/{run.pk}/progres/").content.decode().replace("&#x27;", "'")
    return page.split('id="progress"', 1)[1].split("</div>", 1)[0] + progress


def _api(coop, run, lang) -> dict:
    got = login(coop["by"]).get(f"/api/v1/deductions/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
    assert got.status_code == 200
    return got.json()


def test_a_refusal_met_generating_in_indonesian_is_read_in_english(coop, cutoffs):
    on = cutoffs[1]
    said = Said("post_period_closed", {"on": on.isoformat()})
    with translation.override("id"):
        refusal = ApplicationError(E.PERIOD_CLOSED, Said(said.code, said.params))
    run = _fail(coop, on, refusal)
    assert REFUSAL_ID in run.error  # the writer's words, kept

    page = _page(coop, run, "en")
    assert REFUSAL_EN in page and REFUSAL_ID not in page, page
    data = _api(coop, run, "en")
    assert REFUSAL_EN in data["error"] and data["error_code"] == E.PERIOD_CLOSED, data
    assert REFUSAL_ID in _page(coop, run, "id")
    assert REFUSAL_ID in _api(coop, run, "id")["error"]


def test_an_unexpected_failure_is_logged_and_not_shown(coop, cutoffs, caplog):
    with caplog.at_level(logging.ERROR):
        run = _fail(coop, cutoffs[1], RuntimeError(PYTHON_TEXT))
    logged = [r for r in caplog.records if r.exc_info and PYTHON_TEXT in str(r.exc_info[1])]
    assert logged, caplog.records  # for Sentry: the exception with its traceback

    for lang, said in (("en", SYSTEM_EN), ("id", SYSTEM_ID)):
        page = _page(coop, run, lang)
        assert said in page and PYTHON_TEXT not in page.replace("&quot;", '"'), page
        data = _api(coop, run, lang)
        assert said in data["error"] and PYTHON_TEXT not in data["error"], data
        assert data["error_code"] == "system_error"


def test_a_plain_refusal_shows_as_written_with_its_code(coop, cutoffs):
    """A refusal whose message has no code (most services' still) is kept as written."""
    run = _fail(coop, cutoffs[1], ApplicationError(E.BAD_SETTINGS, "Pengaturan tidak lengkap."))
    assert "Pengaturan tidak lengkap." in _page(coop, run, "en")
    data = _api(coop, run, "en")
    assert data["error"] == "Pengaturan tidak lengkap." and data["error_code"] == E.BAD_SETTINGS


def test_a_run_failed_before_codes_shows_its_stored_text(coop, cutoffs):
    run = _fail(coop, cutoffs[1], RuntimeError(PYTHON_TEXT))
    DeductionRun.objects.filter(pk=run.pk).update(
        error="Teks lama.", error_code="", error_said=None
    )
    run.refresh_from_db()
    assert "Teks lama." in _page(coop, run, "en")
    data = _api(coop, run, "en")
    assert data["error"] == "Teks lama." and data["error_code"] is None


def test_a_retried_run_forgets_why_it_failed(coop, cutoffs):
    run = _fail(coop, cutoffs[1], RuntimeError(PYTHON_TEXT))
    run = svc.deduction_run_retry(run=run, by=coop["by"])
    run.refresh_from_db()
    assert (run.error, run.error_code, run.error_said) == ("", "", None)
    run = svc.deduction_run_generate(run=run, by=coop["by"])
    assert run.status == DeductionRun.Status.READY
    assert _api(coop, run, "en")["error"] == ""


def test_a_deadlock_met_generating_is_said_as_busy_not_as_a_system_error(coop, cutoffs, caplog):
    """A transient conflict (a deadlock) is the database's "not now": kept as
    ``database_busy`` with its message (try again), logged at WARNING, not as an error."""

    class _Deadlock(Exception):
        sqlstate = "40P01"

    busy = OperationalError("deadlock detected")
    busy.__cause__ = _Deadlock()
    with caplog.at_level(logging.WARNING):
        run = _fail(coop, cutoffs[1], busy)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records
    data = _api(coop, run, "id")
    assert data["error_code"] == "database_busy" and "silakan coba lagi" in data["error"], data
    assert "deadlock" not in _page(coop, run, "id")
