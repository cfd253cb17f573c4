"""The payroll API's posting actions (post all, post one import, nothing deducted) with a
body that is not a JSON object or an ``on`` that is not a date as text: a 400 in the one
error shape, nothing posted, never a 500."""

import copy
import json

import pytest

from core.deductions.models import DeductionImport
from core.deductions.services import deduction_import_upload
from core.ledger.models import JournalEntry
from tests.module_coop import uncommitted_add

from .conftest import _cutoff_day, _cutoffs, csv_bytes, login, make_run

NOT_OBJECTS = [[], "x", 5]
NOT_DATES = [5, ["2026-01-01"], {"a": 1}, True]


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture(scope="module")
def run_once(coop_once, django_db_blocker):
    """This month's run and agency A's valid file, made once for the module (every test
    here starts from them)."""
    this = _cutoffs(_cutoff_day())[1]

    def build():
        run = make_run(on=this, by=coop_once["by"])
        imp = deduction_import_upload(
            run=run,
            agency=coop_once["agencies"][0],
            file_name="r.csv",
            by=coop_once["by"],
            content=csv_bytes([(m.nip, 100000) for m in coop_once["m"][:3]]),
        )
        return run, imp

    return uncommitted_add(django_db_blocker, build)


@pytest.fixture
def month(coop, run_once):
    run, imp = copy.deepcopy(run_once)
    c = login(coop["by"])
    c.raise_request_exception = False
    return c, run, imp, coop


def _post(c, url, body):
    return c.post(url, json.dumps(body), content_type="application/json")


def _error(r, code):
    assert r.status_code == 400, (r.status_code, r.content[:300])
    err = r.json()["error"]
    assert err["code"] == code, err
    return err


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_post_all_refuses_a_body_that_is_not_an_object(month, body):
    c, run, _imp, _coop = month
    before = JournalEntry.objects.count()
    _error(_post(c, f"/api/v1/deductions/runs/{run.pk}/post-all/", body), "validation_error")
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize("on", NOT_DATES)
def test_post_all_refuses_an_on_that_is_not_a_date(month, on):
    c, run, _imp, _coop = month
    err = _error(
        _post(c, f"/api/v1/deductions/runs/{run.pk}/post-all/", {"on": on}), "deduction_bad_date"
    )
    assert list(err["fields"]) == ["on"]


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_import_post_refuses_a_body_that_is_not_an_object(month, body):
    c, _run, imp, _coop = month
    _error(_post(c, f"/api/v1/deductions/imports/{imp.pk}/post/", body), "validation_error")
    assert DeductionImport.objects.get(pk=imp.pk).status == "valid"


@pytest.mark.parametrize("on", NOT_DATES)
def test_import_post_refuses_an_on_that_is_not_a_date(month, on):
    c, _run, imp, _coop = month
    r = _post(c, f"/api/v1/deductions/imports/{imp.pk}/post/", {"on": on})
    assert list(_error(r, "deduction_bad_date")["fields"]) == ["on"]
    assert DeductionImport.objects.get(pk=imp.pk).status == "valid"


@pytest.mark.parametrize("on", NOT_DATES)
def test_nothing_deducted_refuses_an_on_that_is_not_a_date(month, on):
    c, run, _imp, coop = month
    body = {"agency": coop["agencies"][1].pk, "on": on}
    r = _post(c, f"/api/v1/deductions/runs/{run.pk}/nothing-deducted/", body)
    assert list(_error(r, "deduction_bad_date")["fields"]) == ["on"]
    assert not DeductionImport.objects.filter(run=run, agency=coop["agencies"][1]).exists()


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_nothing_deducted_refuses_a_body_that_is_not_an_object(month, body):
    c, run, _imp, _coop = month
    r = _post(c, f"/api/v1/deductions/runs/{run.pk}/nothing-deducted/", body)
    _error(r, "validation_error")


@pytest.fixture
def bad_rows(coop, run_once):
    """An import whose rows 2 and 3 are errors (amounts that are not numbers), in the
    module's run (beside its valid file)."""
    run = copy.deepcopy(run_once[0])
    m1, m2, m3 = coop["m"][:3]
    imp = deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        file_name="r.csv",
        by=coop["by"],
        content=csv_bytes([(m1.nip, "x"), (m2.nip, "y"), (m3.nip, 1000)]),
    )
    assert sorted(e["row"] for e in imp.errors) == [2, 3]
    c = login(coop["by"])
    c.raise_request_exception = False
    return c, imp


@pytest.mark.parametrize("rows", ["23", [2.9], [True], {"2": 1}, "1e400"])
def test_exclude_refuses_rows_that_are_not_a_list_of_row_numbers(bad_rows, rows):
    """``{"rows": "23"}`` excluded rows 2 and 3 (the text's characters), ``[2.9]`` row 2,
    ``{"2": 1}`` the object's keys, and ``[1e400]`` was a 500: each is a 400 naming
    ``rows`` now, and nothing is excluded."""
    c, imp = bad_rows
    url = f"/api/v1/deductions/imports/{imp.pk}/exclude/"
    if rows == "1e400":
        r = c.post(url, '{"rows": [1e400]}', content_type="application/json")
    else:
        r = _post(c, url, {"rows": rows})
    assert list(_error(r, "deduction_file_invalid")["fields"]) == ["rows"]
    imp.refresh_from_db()
    assert imp.excluded_rows == [] and imp.status == "invalid"


def test_exclude_reads_every_row_of_a_form(bad_rows):
    """A form-encoded ``rows=2&rows=3`` excluded only row 3 (the last value)."""
    c, imp = bad_rows
    r = c.post(f"/api/v1/deductions/imports/{imp.pk}/exclude/", {"rows": [2, 3]})
    assert r.status_code == 200, r.content[:300]
    imp.refresh_from_db()
    assert imp.excluded_rows == [2, 3] and imp.status == "valid"
    # and JSON numbers, or numbers as text, as before
    r = _post(c, f"/api/v1/deductions/imports/{imp.pk}/exclude/", {"rows": [2, "3"]})
    assert r.status_code == 200 and r.json()["excluded_rows"] == [2, 3]


@pytest.mark.parametrize("reason", [None, ["file salah"], {"a": 1}, 5, True])
def test_reverse_refuses_a_reason_that_is_not_text(month, reason):
    """``{"reason": null}`` reversed the batch with the reason "None" (a list, "['file
    salah']"): the reason is the treasurer's words or nothing; refused, nothing reversed."""
    from core.deductions.services import deduction_import_post

    c, _run, imp, coop = month
    imp = deduction_import_post(imp=imp, by=coop["by"])
    before = JournalEntry.objects.count()
    err = _error(
        _post(c, f"/api/v1/deductions/imports/{imp.pk}/reverse/", {"reason": reason}),
        "deduction_reason_required",
    )
    assert "reason" in err["fields"]
    assert JournalEntry.objects.count() == before
    assert DeductionImport.objects.get(pk=imp.pk).status == "posted"


def test_reverse_refuses_a_reason_longer_than_the_other_reversals_accept(month):
    """Every other reversal keeps a reason of at most 1000 characters, named in the
    refusal; the payroll batch's took any length (a "nothing deducted" record's, unbounded,
    into the audit)."""
    from core.common.errors import REASON_MAX_LENGTH
    from core.deductions.services import deduction_import_post

    c, _run, imp, coop = month
    imp = deduction_import_post(imp=imp, by=coop["by"])
    r = _post(
        c,
        f"/api/v1/deductions/imports/{imp.pk}/reverse/",
        {"reason": "x" * (REASON_MAX_LENGTH + 1)},
    )
    err = _error(r, "reason_too_long")
    assert str(REASON_MAX_LENGTH) in err["message"]
    assert DeductionImport.objects.get(pk=imp.pk).status == "posted"
