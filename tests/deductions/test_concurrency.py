"""Agency batches posted side by side, as the Celery workers do after "post every ready
agency": separate connections, real commits. They share no member, loan or account, so
both post (no deadlock, no lost update), each as its own journal entry, and the
sub-ledgers still equal the ledger."""

import threading

from django.db import connection

from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionRun

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
    results: list = []
    barrier = threading.Barrier(len(ids))

    def post(import_id):
        try:
            connection.set_tenant(scratch_tenant)
            barrier.wait(timeout=10)
            results.append(svc.deduction_run_post_one(run=run, import_id=import_id, by=by))
        except Exception as e:  # reported to the assertion below
            results.append({"ok": False, "message": repr(e)})
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r["ok"] for r in results] == [True, True], results
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
