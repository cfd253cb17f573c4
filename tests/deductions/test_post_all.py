"""Posting every ready agency at once (``deduction_run_post_all_start``, then a few Celery
tasks ``deduction_run_post_agencies_task``, the agencies split between them by members):
one transaction per agency, progress and
one result per agency on the run (the last task marks it done), agencies with two ready
files reported, refusals that change nothing; the screen (button, polled progress) and
the API (202, then poll the run)."""

import copy
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionRun
from core.deductions.tasks import deduction_run_post_agencies_task
from tests.module_coop import uncommitted_add

from .conftest import (
    _cutoff_day,
    _cutoffs,
    assert_reconciled,
    csv_bytes,
    make_run,
)

HOST = "alpha.localhost"


def _login(user):
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


def _upload(run, agency, by, name="a.csv", plus=0):
    """The agency's members, each cut what was asked (``plus`` more)."""
    rows = [(ln.nip, int(ln.total) + plus) for ln in run.lines.filter(agency=agency)]
    return svc.deduction_import_upload(
        run=run, agency=agency, content=csv_bytes(rows), file_name=name, by=by
    )


@pytest.fixture(scope="module")
def run_once(coop_once, django_db_blocker):
    """This month's run, generated once for the module (every test here starts from it)."""
    this = _cutoffs(_cutoff_day())[1]
    return uncommitted_add(django_db_blocker, lambda: make_run(on=this, by=coop_once["by"]))


@pytest.fixture
def run(coop, run_once):
    return copy.deepcopy(run_once)


@pytest.fixture
def sent(monkeypatch):
    """The tasks enqueued (their arguments), instead of sending them to a broker."""
    out: list = []
    monkeypatch.setattr(
        "core.deductions.tasks.deduction_run_post_agencies_task.delay", lambda *a: out.append(a)
    )
    return out


@pytest.fixture
def both_ready(coop, run):
    return [_upload(run, ag, coop["by"]) for ag in coop["agencies"]]


def test_posts_every_ready_agency_each_in_its_own_batch(coop, run, both_ready):
    by = coop["by"]
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    assert sorted(ids) == sorted(i.pk for i in both_ready)
    run.refresh_from_db()
    assert (run.posting_status, run.posting_done, run.posting_total) == ("running", 0, 2)
    run = svc.deduction_run_post_all(run=run, import_ids=ids, by=by)
    assert (run.posting_status, run.posting_done, run.posting_total) == ("done", 2, 2)
    assert [r["ok"] for r in run.posting_results] == [True, True]
    entries = set()
    for imp in both_ready:
        imp.refresh_from_db()
        assert imp.status == "posted"
        entries.add(imp.entry_id)
    assert len(entries) == 2  # one journal entry (one transaction) per agency
    assert_reconciled()


def test_agency_with_two_ready_files_is_reported_and_the_others_posted(coop, run, both_ready):
    by = coop["by"]
    second = _upload(run, coop["agencies"][1], by, name="lagi.csv", plus=1000)  # another file
    assert second.status == "valid"
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    assert ids == [both_ready[0].pk]
    run = svc.deduction_run_post_all(run=run, import_ids=ids, by=by)
    skipped = [r for r in run.posting_results if not r["ok"]]
    assert len(skipped) == 1 and skipped[0]["code"] == coop["agencies"][1].code
    assert "2 file" in skipped[0]["message"]
    assert DeductionImport.objects.filter(run=run, status="posted").count() == 1


def test_a_batch_refused_meanwhile_is_reported_and_the_rest_posted(coop, run, both_ready):
    by = coop["by"]
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    svc.deduction_import_post(imp=both_ready[1], by=by)  # posted by hand in between
    run = svc.deduction_run_post_all(run=run, import_ids=ids, by=by)
    by_import = {r["import"]: r for r in run.posting_results}
    assert by_import[both_ready[0].pk]["ok"] is True
    assert by_import[both_ready[1].pk]["ok"] is False
    assert "sudah diposting" in by_import[both_ready[1].pk]["message"]
    assert run.posting_done == run.posting_total == 2
    assert_reconciled()


def test_nothing_ready_is_refused_and_changes_nothing(coop, run):
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_run_post_all_start(run=run, by=coop["by"])
    assert exc.value.code == svc.E.NOTHING_TO_POST
    run.refresh_from_db()
    assert run.posting_status == "" and run.posting_total == 0


def test_a_second_start_while_running_is_refused_unless_stale(coop, run, both_ready):
    by = coop["by"]
    svc.deduction_run_post_all_start(run=run, by=by)
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_run_post_all_start(run=run, by=by)
    assert exc.value.code == svc.E.POSTING_RUNNING and exc.value.status_code == 409
    # a worker that died long ago leaves it "running": it may be started again
    DeductionRun.objects.filter(pk=run.pk).update(
        posting_started_at=timezone.now() - svc.POSTING_STALE - timedelta(minutes=1)
    )
    assert len(svc.deduction_run_post_all_start(run=run, by=by)) == 2


def test_only_treasury_may_post_all(coop, run, both_ready):
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_run_post_all_start(run=run, by=coop["staff"]["pengawas"])
    assert exc.value.code == svc.E.NOT_ALLOWED
    run.refresh_from_db()
    assert run.posting_status == ""


def test_screen_button_enqueues_the_task_and_progress_polls(
    coop, run, both_ready, django_capture_on_commit_callbacks, sent
):
    c = _login(coop["by"])
    page = c.get(f"/potong-gaji/{run.pk}/")
    assert b'name="post_all"' in page.content
    # first the confirmation: each agency's realised total and the sum; nothing sent yet
    r = c.post(f"/potong-gaji/{run.pk}/", {"post_all": "1"})
    assert r.status_code == 200 and not sent
    box = r.content.decode().split('id="confirm"')[1]
    total = sum(i.total_realized for i in both_ready)
    for i in both_ready:
        assert i.agency.name in box and format_rupiah(i.total_realized) in box
    assert f"Ya, posting {format_rupiah(total)}" in box
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/potong-gaji/{run.pk}/", {"post_all": "1", "confirmed": "1"})
    assert r.status_code == 302
    by = coop["by"].pk
    on = svc.posting_date_default(run).isoformat()  # the date received: default the payday
    # two agencies, up to DEDUCTIONS_POST_TASKS tasks: one task each
    assert sorted(sent) == sorted((run.pk, [i.pk], by, on) for i in both_ready)
    frag = c.get(f"/potong-gaji/{run.pk}/progres-posting/")
    assert b"hx-get" in frag.content and b"0 / 2" in frag.content
    assert deduction_run_post_agencies_task(*sent[0]) == 1
    frag = c.get(f"/potong-gaji/{run.pk}/progres-posting/")
    assert b"hx-get" in frag.content and b"1 / 2" in frag.content  # still polling
    assert deduction_run_post_agencies_task(*sent[1]) == 1
    frag = c.get(f"/potong-gaji/{run.pk}/progres-posting/")
    assert frag.headers.get("HX-Refresh") == "true"
    page = c.get(f"/potong-gaji/{run.pk}/")
    assert b'name="post_all"' not in page.content  # nothing left to post
    assert coop["agencies"][0].name.encode() in page.content


def test_screen_refusal_is_a_message(coop, run):
    c = _login(coop["by"])
    r = c.post(f"/potong-gaji/{run.pk}/", {"post_all": "1"}, follow=True)
    assert "Tidak ada instansi" in r.content.decode()
    pengawas = _login(coop["staff"]["pengawas"])
    assert pengawas.post(f"/potong-gaji/{run.pk}/", {"post_all": "1"}).status_code == 403
    run.refresh_from_db()
    assert run.posting_status == ""


def test_api_post_all_is_accepted_and_polled(
    coop, run, both_ready, django_capture_on_commit_callbacks, sent
):
    c = _login(coop["by"])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/api/v1/deductions/runs/{run.pk}/post-all/")
    assert r.status_code == 202
    assert r.json()["posting"] == {"status": "running", "done": 0, "total": 2, "results": []}
    for args in sent:
        deduction_run_post_agencies_task(*args)
    body = c.get(f"/api/v1/deductions/runs/{run.pk}/").json()
    assert body["posting"]["status"] == "done" and body["posting"]["done"] == 2
    assert all(a["posted"] for a in body["agencies"])
    again = c.post(f"/api/v1/deductions/runs/{run.pk}/post-all/")
    assert again.status_code == 400 and again.json()["error"]["code"] == svc.E.NOTHING_TO_POST
    denied = _login(coop["staff"]["pengawas"]).post(f"/api/v1/deductions/runs/{run.pk}/post-all/")
    assert denied.status_code == 403


def test_one_task_posts_its_agencies_each_in_its_own_transaction(
    coop, run, both_ready, django_capture_on_commit_callbacks, sent, settings
):
    settings.DEDUCTIONS_POST_TASKS = 1
    by = coop["by"]
    with django_capture_on_commit_callbacks(execute=True):
        svc.deduction_run_post_all_enqueue(run=run, by=by)
    assert len(sent) == 1 and sorted(sent[0][1]) == sorted(i.pk for i in both_ready)
    svc.deduction_import_post(imp=both_ready[1], by=by)  # posted by hand in between
    assert deduction_run_post_agencies_task(*sent[0]) == 1
    run.refresh_from_db()
    assert (run.posting_status, run.posting_done, run.posting_total) == ("done", 2, 2)
    by_import = {r["import"]: r for r in run.posting_results}
    assert by_import[both_ready[0].pk]["ok"] is True
    assert by_import[both_ready[0].pk]["total"] == str(both_ready[0].total_realized)
    assert by_import[both_ready[1].pk]["ok"] is False
    assert "sudah diposting" in by_import[both_ready[1].pk]["message"]
    entries = {DeductionImport.objects.get(pk=i.pk).entry_id for i in both_ready}
    assert len(entries) == 2  # one journal entry (one transaction) per agency
    assert_reconciled()


def test_a_task_run_again_counts_nothing_twice(coop, run, both_ready, sent, settings):
    """A worker killed after posting: its task runs again (acks late). The agencies it
    posted keep their result (not "already posted"), the progress is not counted twice."""
    by = coop["by"]
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    first, second = ids
    svc.deduction_run_post_one(run=run, import_id=first, by=by)  # then the worker died
    assert deduction_run_post_agencies_task(run.pk, ids, by.pk) == 2  # the message again
    run.refresh_from_db()
    assert (run.posting_status, run.posting_done) == ("done", 2)
    assert [(r["import"], r["ok"]) for r in run.posting_results] == [
        (first, True),
        (second, True),
    ]
    assert deduction_run_post_agencies_task(run.pk, ids, by.pk) == 2  # and once more
    run.refresh_from_db()
    assert run.posting_done == 2 and len(run.posting_results) == 2
    assert_reconciled()


def test_a_result_refused_then_posted_on_the_rerun_is_replaced(coop, run, both_ready):
    by = coop["by"]
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    run.refresh_from_db()
    run.posting_results = [
        {"agency": "x", "code": "x", "import": ids[0], "ok": False, "message": "putus"}
    ]
    run.posting_done = 1
    run.save(update_fields=["posting_results", "posting_done"])
    assert svc.deduction_run_post_one(run=run, import_id=ids[0], by=by)["ok"] is True
    run.refresh_from_db()
    assert run.posting_done == 1
    assert [(r["import"], r["ok"]) for r in run.posting_results] == [(ids[0], True)]


@pytest.mark.parametrize("tasks", [1, 2, 3, 7])
def test_post_groups_split_by_members(coop, run, tasks):
    """Every import in exactly one group, at most ``tasks`` groups, the largest files
    spread first (sizes: the files' rows)."""
    by = coop["by"]
    agency = coop["agencies"][0]
    sizes = [9, 1, 4, 4, 3, 2]
    imps = [
        DeductionImport.objects.create(
            run=run,
            agency=agency,
            file_name=f"{k}.csv",
            file_hash=f"{k:064d}",
            status=DeductionImport.Status.DISCARDED,
            rows=[{"row": r, "line_id": 0, "amount": "0"} for r in range(n)],
            created_by=by,
        )
        for k, n in enumerate(sizes)
    ]
    ids = [i.pk for i in imps]
    groups = svc.post_groups(import_ids=ids, tasks=tasks)
    assert len(groups) == min(tasks, len(ids))
    assert sorted(pk for g in groups for pk in g) == sorted(ids)
    load = sorted(sum(sizes[ids.index(pk)] for pk in g) for g in groups)
    expected = {1: [23], 2: [11, 12], 3: [7, 7, 9], 7: [1, 2, 3, 4, 4, 9]}[tasks]
    assert load == expected
    for g in groups:  # the queue's order kept inside a group
        assert g == sorted(g, key=ids.index)
