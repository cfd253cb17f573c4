"""Post every ready agency ("post all") leaves out an agency whose file has rows flagged
for a loan's date (``kind: loan_date``: the row pays a loan on a date it takes no
payment) until the rows are excluded or the file is posted on its own page with a later
date. The user is told: the agency is listed as not posted with the reason and a link to
its file's page on the run's page, on the confirmation, in the results, and in the API
(the run, the post-all answer, the refusal when nothing else is ready). Before, it was
left out silently: "Posting 1 instansi yang siap", and the results named only the
posted one."""

import pytest
from django.utils import timezone

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.models import DeductionImport
from core.deductions.tasks import deduction_run_post_agencies_task
from core.loans.services import loan_reschedule

from .conftest import csv_bytes, login, make_run


@pytest.fixture
def flagged(coop, cutoffs):
    """Last month's run; m1's loan rescheduled today (after the payday, the date proposed):
    agency A's file (m1 paying the loan, row 2) is flagged; agency B's file is ready."""
    by = coop["by"]
    run = make_run(on=cutoffs[0], by=by)
    today = timezone.localdate()
    if not run.payday < today:
        pytest.skip("today is the payday: no date after it to reschedule on")
    loan = coop["loans"]["m1"]
    loan_reschedule(loan=loan, by=coop["staff"]["ketua"], tenor=12, reason="gaji turun", on=today)
    loan.refresh_from_db()
    m1, m3, m4 = coop["m"][0], coop["m"][2], coop["m"][3]
    a = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m1.nip, 600000), (m3.nip, 100000)]),
        file_name="a.csv",
        by=by,
    )
    assert a.status == "invalid" and svc.date_errors_only(a), a.errors
    b = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][1],
        content=csv_bytes([(m4.nip, 100000)]),
        file_name="b.csv",
        by=by,
    )
    assert b.status == "valid", b.errors
    return {"run": run, "a": a, "b": b, "loan": loan, "on": today}


def _says_why(text: str, case) -> None:
    """The reason: the flagged row, the loan, the earliest date and the two ways out."""
    assert "aris 2" in text and case["loan"].number in text, text
    assert format_tanggal(case["on"]) in text, text
    assert "ecualikan" in text and "halaman" in text, text


def test_post_all_reports_the_agency_left_out_with_its_reason_and_file(coop, flagged):
    by, run, a, b = coop["by"], flagged["run"], flagged["a"], flagged["b"]
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    assert ids == [b.pk]
    run = svc.deduction_run_post_all(run=run, import_ids=ids, by=by)
    by_import = {r["import"]: r for r in run.posting_results}
    assert by_import[b.pk]["ok"] is True
    left = by_import[a.pk]  # failed before: not in the results at all
    assert left["ok"] is False and left["code"] == coop["agencies"][0].code
    _says_why(left["message"], flagged)
    assert (run.posting_done, run.posting_total, run.posting_status) == (1, 1, "done")
    assert DeductionImport.objects.get(pk=a.pk).status == "invalid"


def test_screen_lists_the_agency_left_out_before_during_and_after(
    coop, flagged, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list = []
    monkeypatch.setattr(
        "core.deductions.tasks.deduction_run_post_agencies_task.delay", lambda *a: sent.append(a)
    )
    run, a = flagged["run"], flagged["a"]
    link = f'href="/potong-gaji/impor/{a.pk}/"'
    c = login(coop["by"])
    page = c.get(f"/potong-gaji/{run.pk}/").content.decode()
    box = page.split('id="post-all-skipped"', 1)[1].split("</div>", 1)[0]
    assert coop["agencies"][0].name in box and link in box, box
    _says_why(box, flagged)
    # the confirmation names it too
    r = c.post(f"/potong-gaji/{run.pk}/", {"post_all": "1"})
    notice = r.content.decode().split('id="confirm-notice"', 1)[1].split("</p>", 1)[0]
    assert coop["agencies"][0].name in notice, notice
    _says_why(notice, flagged)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/potong-gaji/{run.pk}/", {"post_all": "1", "confirmed": "1"})
    for args in sent:
        deduction_run_post_agencies_task(*args)
    page = c.get(f"/potong-gaji/{run.pk}/").content.decode()
    results = page.split('id="posting"', 1)[1].split("</div>", 1)[0]
    assert coop["agencies"][0].name in results and link in results, results
    assert "Tidak diposting" in results


def test_api_lists_the_agency_left_out_with_a_link(
    coop, flagged, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(
        "core.deductions.tasks.deduction_run_post_agencies_task.delay", lambda *a: None
    )
    run, a = flagged["run"], flagged["a"]
    c = login(coop["by"])
    url = f"/potong-gaji/impor/{a.pk}/"
    got = c.get(f"/api/v1/deductions/runs/{run.pk}/").json()
    (left,) = got["post_all_skipped"]
    assert left["import"] == a.pk and left["url"] == url
    _says_why(left["message"], flagged)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/api/v1/deductions/runs/{run.pk}/post-all/")
    assert r.status_code == 202
    results = r.json()["posting"]["results"]
    (left,) = [x for x in results if x["import"] == a.pk]
    assert left["ok"] is False and left["url"] == url
    _says_why(left["message"], flagged)


def test_nothing_else_ready_the_refusal_names_the_agency_and_why(coop, flagged):
    run = flagged["run"]
    svc.deduction_import_discard(imp=flagged["b"], by=coop["by"])
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_run_post_all_start(run=run, by=coop["by"])
    assert exc.value.code == svc.E.NOTHING_TO_POST
    msg = str(exc.value.message)
    assert coop["agencies"][0].name in msg
    _says_why(msg, flagged)
    (item,) = exc.value.fields["skipped"]
    assert f"/potong-gaji/impor/{flagged['a'].pk}/" in item
    r = login(coop["by"]).post(f"/api/v1/deductions/runs/{run.pk}/post-all/")
    assert r.status_code == 400 and coop["agencies"][0].name in r.json()["error"]["message"]


def test_excluded_rows_make_it_ready_again(coop, flagged):
    by, run, a, b = coop["by"], flagged["run"], flagged["a"], flagged["b"]
    svc.deduction_import_exclude(imp=a, rows=[2], by=by)
    assert sorted(svc.deduction_run_post_all_start(run=run, by=by)) == sorted([a.pk, b.pk])
    run.refresh_from_db()
    assert run.posting_results == []


@pytest.fixture
def row_errors(coop, cutoffs):
    """This month's run: agency A's file has two rows with ordinary errors (an unknown
    NIP, an amount that is not a number) beside a good one: "Ada kesalahan"; agency B's
    file is ready."""
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    m1, m4 = coop["m"][0], coop["m"][3]
    a = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes(
            [(m1.nip, 600000), ("199001012015011999", 50000), (coop["m"][2].nip, "lima")]
        ),
        file_name="a.csv",
        by=by,
    )
    assert a.status == "invalid" and not svc.date_errors_only(a), a.errors
    assert sorted({e["row"] for e in a.errors}) == [3, 4], a.errors
    b = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][1],
        content=csv_bytes([(m4.nip, 100000)]),
        file_name="b.csv",
        by=by,
    )
    assert b.status == "valid", b.errors
    return {"run": run, "a": a, "b": b}


def _says_rows(text: str) -> None:
    """The reason: how many rows have errors, which, and the ways out."""
    assert "2 baris" in text and "3, 4" in text, text
    assert "ecualikan" in text and "unggah" in text, text


def test_post_all_lists_an_agency_whose_file_has_row_errors(
    coop, row_errors, django_capture_on_commit_callbacks, monkeypatch
):
    """Before, "post all" left it out with no word (the agencies' table said only "Ada
    kesalahan"): now on the run's page, the confirmation, the results and the API,
    with how many rows have errors and its file's page."""
    sent: list = []
    monkeypatch.setattr(
        "core.deductions.tasks.deduction_run_post_agencies_task.delay", lambda *a: sent.append(a)
    )
    run, a, b = row_errors["run"], row_errors["a"], row_errors["b"]
    (left,) = svc.post_all_left_out(run)
    assert left["import"] == a.pk and left["code"] == coop["agencies"][0].code
    assert left["reason"] == "row_errors" and left["error_rows"] == 2
    _says_rows(left["message"])
    c = login(coop["by"])
    link = f'href="/potong-gaji/impor/{a.pk}/"'
    page = c.get(f"/potong-gaji/{run.pk}/").content.decode()
    box = page.split('id="post-all-skipped"', 1)[1].split("</div>", 1)[0]
    assert coop["agencies"][0].name in box and link in box, box
    _says_rows(box)
    got = c.get(f"/api/v1/deductions/runs/{run.pk}/").json()
    (left,) = got["post_all_skipped"]
    assert left["url"] == f"/potong-gaji/impor/{a.pk}/" and left["error_rows"] == 2
    _says_rows(left["message"])
    notice = c.post(f"/potong-gaji/{run.pk}/", {"post_all": "1"}).content.decode()
    notice = notice.split('id="confirm-notice"', 1)[1].split("</p>", 1)[0]
    _says_rows(notice)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/potong-gaji/{run.pk}/", {"post_all": "1", "confirmed": "1"})
    for args in sent:
        deduction_run_post_agencies_task(*args)
    run.refresh_from_db()
    by_import = {r["import"]: r for r in run.posting_results}
    assert by_import[b.pk]["ok"] is True and by_import[a.pk]["ok"] is False
    _says_rows(by_import[a.pk]["message"])
    # its rows excluded, it is ready (and no longer listed)
    svc.deduction_import_exclude(imp=a, rows=[3, 4], by=coop["by"])
    assert svc.post_all_left_out(run) == []
