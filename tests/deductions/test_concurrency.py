"""Agency batches posted side by side, as the Celery workers do after "post every ready
agency": separate connections, real commits. They share no member, loan or account, so
both post (no deadlock, no lost update), each as its own journal entry, and the
sub-ledgers still equal the ledger."""

import threading

from django.db import connection

from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionRun
from tests.concurrency import in_thread, join_all

from .conftest import assert_reconciled, coop_build, csv_bytes, make_run


def test_two_agencies_posted_at_once(scratch_tenant, cutoff_day, cutoffs):
    from core.ledger.models import JournalEntry

    connection.set_tenant(scratch_tenant)
    coop = coop_build(cutoff_day, cutoffs)
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    for ag in coop["agencies"]:
        rows = [(ln.nip, int(ln.total) + 5_000) for ln in run.lines.filter(agency=ag)]
        svc.deduction_import_upload(
            run=run, agency=ag, content=csv_bytes(rows), file_name=f"{ag.code}.csv", by=by
        )
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    assert len(ids) == 2
    outcome: dict = {}
    barrier = threading.Barrier(len(ids))

    def post(import_id):
        def fn():
            barrier.wait(timeout=10)  # both post at once
            return svc.deduction_run_post_one(run=run, import_id=import_id, by=by)

        return fn

    join_all([in_thread(scratch_tenant, i, post(i), outcome) for i in ids])
    assert [isinstance(outcome.get(i), dict) and outcome[i]["ok"] for i in ids] == [
        True,
        True,
    ], outcome
    run.refresh_from_db()
    assert (run.posting_status, run.posting_done) == (DeductionRun.PostingStatus.DONE, 2)
    imps = list(DeductionImport.objects.filter(pk__in=ids))
    assert all(i.status == "posted" for i in imps)
    numbers = sorted(
        JournalEntry.objects.filter(pk__in=[i.entry_id for i in imps]).values_list(
            "number", flat=True
        )
    )
    assert numbers[1] == numbers[0] + 1  # gap-free numbering holds
    assert_reconciled()


def test_regenerate_while_an_agency_is_being_posted_waits_and_refuses(
    scratch_tenant, cutoff_day, cutoffs, monkeypatch
):
    """ "Buat ulang daftar" clicked while an agency's batch was posting: the regeneration
    read the imports before the batch committed, then marked the just-posted import
    "discarded" and deleted the run's lines, under a journal entry that had booked the
    money. It now waits for the batch and refuses (already posted); nothing is lost."""
    import time

    from core.common.errors import ApplicationError
    from core.deductions.services import posting

    connection.set_tenant(scratch_tenant)
    coop = coop_build(cutoff_day, cutoffs)
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    ag = coop["agencies"][0]
    rows = [(ln.nip, int(ln.total)) for ln in run.lines.filter(agency=ag)]
    imp = svc.deduction_import_upload(
        run=run, agency=ag, content=csv_bytes(rows), file_name="a.csv", by=by
    )
    lines_before = run.lines.count()
    posting_held = threading.Event()
    regenerate_started = threading.Event()

    def hold(name):
        if name == "after_journal":
            posting_held.set()
            regenerate_started.wait(timeout=10)
            time.sleep(1.0)  # the regeneration reaches the imports meanwhile

    monkeypatch.setattr(posting, "_inject_failure_point", hold)
    outcome: dict = {}

    def post():
        return svc.deduction_import_post(imp=imp, by=by).status

    def regenerate():
        posting_held.wait(timeout=10)
        regenerate_started.set()
        try:
            svc.deduction_run_regenerate(run=run, by=by)
        except ApplicationError as e:
            return e.code
        return "done"

    join_all(
        [
            in_thread(scratch_tenant, "post", post, outcome),
            in_thread(scratch_tenant, "regenerate", regenerate, outcome),
        ]
    )
    assert outcome == {"post": "posted", "regenerate": "deduction_already_posted"}, outcome
    imp.refresh_from_db()
    assert imp.status == "posted"
    assert run.lines.count() == lines_before
    assert_reconciled()


def test_an_exit_settled_while_an_agency_is_posting_waits_for_the_posting(
    scratch_tenant, cutoff_day, cutoffs, monkeypatch
):
    """An exit confirmed between the posting's check of its members and its savings
    step committed first: the posting then opened fresh wajib/sukarela accounts for the
    member who had just left and credited the payroll money there, where nobody pays it
    back. The posting now holds its members (FOR SHARE) before that check: the exit
    waits for the batch, then settles the member with the payroll money included."""
    import time

    from django.utils import timezone

    from core.deductions.services import posting
    from core.exits.services import exit_settlement_confirm
    from core.savings.models import SavingsAccount

    connection.set_tenant(scratch_tenant)
    coop = coop_build(cutoff_day, cutoffs)
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    ag = coop["agencies"][0]
    m3 = coop["m"][2]
    rows = [(ln.nip, int(ln.total)) for ln in run.lines.filter(agency=ag)]
    imp = svc.deduction_import_upload(
        run=run, agency=ag, content=csv_bytes(rows), file_name="a.csv", by=by
    )
    checked = threading.Event()
    exit_started = threading.Event()

    def hold(name):
        if name == "after_member_check":
            checked.set()
            exit_started.wait(timeout=10)
            time.sleep(1.0)  # the exit reaches the member meanwhile

    monkeypatch.setattr(posting, "_inject_failure_point", hold)
    outcome: dict = {}
    finished: dict = {}

    def post():
        status = svc.deduction_import_post(imp=imp, by=by).status
        finished["post"] = time.monotonic()
        return status

    def settle():
        checked.wait(timeout=10)
        exit_started.set()
        exit_settlement_confirm(
            member=m3, reason="retired", on=timezone.localdate(), by=coop["staff"]["bendahara"]
        )
        finished["exit"] = time.monotonic()
        return "settled"

    join_all(
        [
            in_thread(scratch_tenant, "post", post, outcome),
            in_thread(scratch_tenant, "exit", settle, outcome),
        ]
    )
    assert outcome == {"post": "posted", "exit": "settled"}, outcome
    assert finished["exit"] > finished["post"]
    # every account of the member who left is closed and empty: the payroll money was
    # paid back with the settlement, not left in an account opened after the exit
    open_left = SavingsAccount.objects.filter(member=m3).exclude(status="closed")
    assert not open_left.exists(), list(open_left.values("product__kind", "balance"))
    assert_reconciled()


def test_an_upload_while_the_list_is_made_again_is_discarded_with_the_old_list(
    scratch_tenant, cutoff_day, cutoffs, monkeypatch
):
    """A file uploaded while "Buat ulang daftar" ran was checked against lines being
    deleted and kept as an import of the new list (its rows naming lines that no longer
    exist). The upload now holds the run (FOR SHARE): the regeneration waits for it and
    then discards it with the other files of the old list."""
    import time

    from core.deductions.services import imports

    connection.set_tenant(scratch_tenant)
    coop = coop_build(cutoff_day, cutoffs)
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    ag = coop["agencies"][0]
    rows = [(ln.nip, int(ln.total)) for ln in run.lines.filter(agency=ag)]
    reading = threading.Event()
    regenerate_started = threading.Event()
    real_parse = imports.parse_realized

    def slow_parse(**kw):
        reading.set()
        regenerate_started.wait(timeout=10)
        time.sleep(1.0)  # the regeneration reaches the run meanwhile
        return real_parse(**kw)

    monkeypatch.setattr(imports, "parse_realized", slow_parse)
    outcome: dict = {}

    def upload():
        return svc.deduction_import_upload(
            run=run, agency=ag, content=csv_bytes(rows), file_name="a.csv", by=by
        ).pk

    def regenerate():
        reading.wait(timeout=10)
        regenerate_started.set()
        svc.deduction_run_regenerate(run=run, by=by)
        return "done"

    join_all(
        [
            in_thread(scratch_tenant, "upload", upload, outcome),
            in_thread(scratch_tenant, "regenerate", regenerate, outcome),
        ]
    )
    assert outcome["regenerate"] == "done" and isinstance(outcome["upload"], int), outcome
    assert DeductionImport.objects.get(pk=outcome["upload"]).status == "discarded"


def test_two_files_of_one_agency_posted_at_once_post_once_and_the_other_is_told(
    scratch_tenant, cutoff_day, cutoffs
):
    """Two files of the same agency (the treasurer uploaded a corrected one without
    discarding the first), each posted by a different person at the same moment: one
    batch posts; the other is refused as already posted (409), not a database error,
    and books nothing."""
    from core.ledger.models import JournalEntry

    connection.set_tenant(scratch_tenant)
    coop = coop_build(cutoff_day, cutoffs)
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    ag = coop["agencies"][0]
    lines = list(run.lines.filter(agency=ag))
    imps = [
        svc.deduction_import_upload(
            run=run,
            agency=ag,
            content=csv_bytes([(ln.nip, int(ln.total) + extra) for ln in lines]),
            file_name=f"{extra}.csv",
            by=by,
        )
        for extra in (0, 1000)
    ]
    assert [i.status for i in imps] == ["valid", "valid"]
    outcome: dict = {}
    barrier = threading.Barrier(2)

    def post(imp):
        def fn():
            barrier.wait(timeout=10)
            try:
                return svc.deduction_import_post(imp=imp, by=by).status
            except ApplicationError as e:
                return (e.code, e.status_code)

        return fn

    join_all([in_thread(scratch_tenant, i.pk, post(i), outcome) for i in imps])
    assert sorted(map(str, outcome.values())) == sorted(
        ["posted", str(("deduction_already_posted", 409))]
    ), outcome
    assert DeductionImport.objects.filter(run=run, agency=ag, status="posted").count() == 1
    assert JournalEntry.objects.filter(source="deduction").count() == 1
    assert_reconciled()


def test_an_agency_s_result_is_recorded_while_another_agency_is_still_posting(
    scratch_tenant, cutoff_day, cutoffs, monkeypatch
):
    """The post-all tasks post side by side: a task that finished an agency records its
    result on the run and goes on to its next agency while the other task's batch is
    still posting. The record waited for that batch to commit (the batch held the run
    FOR SHARE, the record wanted it FOR UPDATE), so the two tasks posted one after the
    other (measured on a busy machine: one worker waited on the run's row for a fifth to a
    quarter of the posting's time)."""
    from core.deductions.services import posting

    connection.set_tenant(scratch_tenant)
    coop = coop_build(cutoff_day, cutoffs)
    by = coop["by"]
    run = make_run(on=cutoffs[1], by=by)
    for ag in coop["agencies"]:
        rows = [(ln.nip, int(ln.total)) for ln in run.lines.filter(agency=ag)]
        svc.deduction_import_upload(
            run=run, agency=ag, content=csv_bytes(rows), file_name=f"{ag.code}.csv", by=by
        )
    first, second = svc.deduction_run_post_all_start(run=run, by=by)
    first_held, second_recorded = threading.Event(), threading.Event()
    seen: dict = {}

    def hold(name):
        # the first agency's batch stops after its checks (the run already locked by
        # them), until the second agency is posted and recorded, or 5 seconds
        if name == "after_member_check" and threading.current_thread().name == "first":
            first_held.set()
            seen["second recorded while the first posts"] = second_recorded.wait(timeout=5)

    monkeypatch.setattr(posting, "_inject_failure_point", hold)
    outcome: dict = {}

    def post_first():
        threading.current_thread().name = "first"
        return svc.deduction_run_post_one(run=run, import_id=first, by=by)

    def post_second():
        first_held.wait(timeout=10)
        result = svc.deduction_run_post_one(run=run, import_id=second, by=by)
        second_recorded.set()
        return result

    join_all(
        [
            in_thread(scratch_tenant, "first", post_first, outcome),
            in_thread(scratch_tenant, "second", post_second, outcome),
        ]
    )
    assert seen == {"second recorded while the first posts": True}
    assert [outcome[k]["ok"] for k in ("first", "second")] == [True, True], outcome
    run.refresh_from_db()
    assert (run.posting_status, run.posting_done) == (DeductionRun.PostingStatus.DONE, 2)
    assert [r["import"] for r in run.posting_results] == [second, first]
    assert_reconciled()
