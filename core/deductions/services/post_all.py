"""Post every ready agency of a run: a few Celery tasks, each posting its agencies one by
one (one transaction each), the progress written
on the run."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Func, IntegerField
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.deductions.audit import DeductionAudit

from ..import_messages import Said, said_fields
from ..models import DeductionImport, DeductionRun
from ..selectors import run_ready_imports
from .common import E, _require, posting_date_clean
from .loan_dates import date_errors_only, is_loan_date_error, loan_date_earliest
from .posting import deduction_import_post

log = logging.getLogger(__name__)

# --- post every ready agency (a Celery task) ---------------------------------------------

# a "post all" still marked running after this long died with its worker: it may start again
# (every agency batch is posted at most once whatever happens: the database enforces it)
POSTING_STALE = timedelta(minutes=30)


@transaction.atomic
def deduction_run_post_all_start(*, run: DeductionRun, by, on=None) -> list[int]:
    """Mark the run as posting and return the imports to post, one per agency not posted
    yet that has exactly one file ready ("valid"). Agencies with nothing ready are left
    out; an agency with two ready files is reported (discard one first). The caller
    enqueues them after commit (``post_groups``: a few tasks, each posting its imports
    with ``deduction_run_post_one``), each posting on
    ``on`` (the day the money was received; checked here with ``posting_date_clean``: the
    caller passes the same cleaned date to the tasks)."""
    _require(by, _("memposting potong gaji"))
    run = DeductionRun.objects.select_for_update().get(pk=run.pk)
    if run.status != DeductionRun.Status.READY:
        raise ApplicationError(E.RUN_NOT_READY, _("Daftar potong gaji belum selesai dibuat."))
    now = timezone.now()
    if (
        run.posting_status == DeductionRun.PostingStatus.RUNNING
        and run.posting_started_at
        and now - run.posting_started_at < POSTING_STALE
    ):
        raise ApplicationError(
            E.POSTING_RUNNING,
            _("Posting semua instansi bulan %(m)s sedang berjalan.") % {"m": run.month_shown},
            status=409,
        )
    on = posting_date_clean(run, on)

    ready, _ambiguous = run_ready_imports(run)
    queue = [imp.pk for imp in ready]
    results = post_all_left_out(run)
    if not queue:
        raise _nothing_ready(results)
    run.posting_status = DeductionRun.PostingStatus.RUNNING
    run.posting_total = len(queue)
    run.posting_done = 0
    run.posting_results = results
    run.posting_started_at = now
    run.save(
        update_fields=[
            "posting_status",
            "posting_total",
            "posting_done",
            "posting_results",
            "posting_started_at",
        ]
    )
    audit_log(
        actor=by,
        action=DeductionAudit.POST_ALL,
        target=run,
        data={"imports": queue, "skipped": len(results), "on": on.isoformat()},
    )
    return queue


# why an agency with a file is left out of "post every ready agency" (``reason``)
LEFT_TWO_FILES = "two_files"  # two ready files: discard one
LEFT_LOAN_DATE = "loan_date"  # only rows too early for their loans' dates
LEFT_ROW_ERRORS = "row_errors"  # rows with errors, not excluded
LEFT_FILE_INVALID = "file_invalid"  # the whole file refused

# the rows named in a reason, at most (the count is always given)
ROWS_NAMED = 10


def post_all_left_out(run: DeductionRun) -> list[dict]:
    """The agencies not posted that "post every ready agency" leaves out though they
    have a file to post, each as a result of the posting (``ok`` false) with the reason
    (``reason`` and ``message``), and the file(s) whose page the screen and the API link:
    an agency with two ready files (``imports``: discard one), then one whose latest file
    is refused (``import``; ``_files_refused``): only by rows flagged for a loan's date,
    by rows with errors (``error_rows``: how many), or as a whole. Shown on the run's
    page and the confirmation before posting, in the results after."""
    _ready, ambiguous = run_ready_imports(run)
    return [
        {
            "agency": imps[0].agency.name,
            "code": imps[0].agency.code,
            "import": None,
            "imports": [imp.pk for imp in imps],
            "ok": False,
            "reason": LEFT_TWO_FILES,
            **said_fields(Said("left_two_files", {"n": len(imps)})),
        }
        for imps in ambiguous
    ] + _files_refused(run)


def _files_refused(run: DeductionRun) -> list[dict]:
    """Agencies with no ready file and nothing posted whose latest file is "Ada
    kesalahan", each with why, in agency code order:

    - refused only by rows flagged for a loan's date (``loan_dates``): taken once those
      rows are excluded, or posted on its own page with a date its loans take; the
      reason names the rows, the loans, the earliest date and those two ways out;
    - rows with errors not excluded: how many (``error_rows``) and which, to exclude
      on its page (taken as not deducted) or correct in a new upload;
    - the whole file refused (no member column, another month's export, ...): its
      first error, to correct in a new upload."""
    taken = DeductionImport.objects.filter(
        run=run, status__in=[DeductionImport.Status.POSTED, DeductionImport.Status.VALID]
    ).values("agency_id")
    out: dict[int, dict] = {}
    for imp in (
        DeductionImport.objects.filter(run=run, status=DeductionImport.Status.INVALID)
        .exclude(agency_id__in=taken)
        .select_related("agency")
        .order_by("agency__code", "-pk")
    ):
        if imp.agency_id in out:
            continue  # an older file of the agency: its latest one says why
        result = {"agency": imp.agency.name, "code": imp.agency.code, "import": imp.pk}
        if date_errors_only(imp):
            result.update(reason=LEFT_LOAN_DATE, **said_fields(_loan_date_reason(imp)))
        elif imp.file_errors:
            said = Said("left_file_invalid", {"error": imp.file_errors[0]})
            result.update(reason=LEFT_FILE_INVALID, **said_fields(said))
        else:
            excluded = set(imp.excluded_rows)
            rows = sorted({e["row"] for e in imp.errors if e["row"] not in excluded})
            said = Said(
                "left_row_errors",
                {"n": len(rows), "rows": rows[:ROWS_NAMED], "more": len(rows) > ROWS_NAMED},
            )
            result.update(reason=LEFT_ROW_ERRORS, error_rows=len(rows), **said_fields(said))
        out[imp.agency_id] = {**result, "ok": False}
    return list(out.values())


def _loan_date_reason(imp: DeductionImport) -> Said:
    """Why a file refused only by rows too early for their loans is left out."""
    excluded = set(imp.excluded_rows)
    flagged = [e for e in imp.errors if is_loan_date_error(e) and e["row"] not in excluded]
    return Said(
        "left_loan_date",
        {
            "rows": [e["row"] for e in flagged],
            "loans": sorted({n for e in flagged for n in e.get("loans", [])}),
            "floor": loan_date_earliest(imp).isoformat(),
        },
    )


def _nothing_ready(results: list[dict]) -> ApplicationError:
    """Nothing to post: said so, naming each agency left out, why, and its file's page
    (``fields.skipped``)."""
    if not results:
        return ApplicationError(
            E.NOTHING_TO_POST, _("Tidak ada instansi dengan file realisasi yang siap diposting.")
        )
    items = []
    for r in results:
        pages = [r["import"]] if r.get("import") else r.get("imports", [])
        items.append(
            _("%(a)s (%(c)s): %(m)s Halaman file: %(u)s")
            % {
                "a": r["agency"],
                "c": r["code"],
                "m": r["message"],
                "u": ", ".join(reverse("deductions:import", args=[pk]) for pk in pages),
            }
        )
    return ApplicationError(
        E.NOTHING_TO_POST,
        _("Tidak ada instansi yang siap diposting. %(list)s") % {"list": " ".join(items)},
        fields={"skipped": items},
    )


def post_groups(*, import_ids: list[int], tasks: int) -> list[list[int]]:
    """The imports to post split into at most ``tasks`` groups (one Celery task each) of
    about the same number of members: the largest file first, each to the group with the
    fewest members so far (a file's rows: its agency's members). Every import in exactly
    one group; groups keep the queue's order inside."""
    sizes = dict(
        DeductionImport.objects.filter(pk__in=import_ids)
        .annotate(n=Func(F("rows"), function="jsonb_array_length", output_field=IntegerField()))
        .values_list("pk", "n")
    )
    n = max(1, min(tasks, len(import_ids)))
    groups: list[list[int]] = [[] for _i in range(n)]
    load = [0] * n
    for pk in sorted(import_ids, key=lambda pk: (-(sizes.get(pk) or 0), pk)):
        g = min(range(n), key=lambda i: (load[i], i))
        groups[g].append(pk)
        load[g] += sizes.get(pk) or 0
    order = {pk: i for i, pk in enumerate(import_ids)}
    return [sorted(g, key=order.__getitem__) for g in groups if g]


def deduction_run_post_one(*, run: DeductionRun, import_id: int, by, on=None) -> dict:
    """Post one import queued by ``deduction_run_post_all_start`` in its own transaction
    (``deduction_import_post``: all or nothing for the agency), then record its result
    (posted, or the error that left it unposted) and the progress on the run; the last one
    marks the run done. Several run at once (a few Celery tasks per run): they share no
    rows but the run's progress, updated in a short transaction of its own. Run again for
    an import whose result is recorded (its task re-run after a worker died), the result
    stays as recorded and the progress is not counted twice."""
    imp = DeductionImport.objects.select_related("agency").get(pk=import_id)
    result = {"agency": imp.agency.name, "code": imp.agency.code, "import": imp.pk}
    try:
        posted = deduction_import_post(imp=imp, by=by, on=on)
        result.update(ok=True, message="", total=str(posted.total_realized))
    except ApplicationError as e:
        # kept with its code when the refusal has one (``Said``): shown in the reader's
        # language; else its text as written now
        result.update(ok=False, **said_fields(e.message))
    except Exception:  # its transaction rolled back: report it; the others go on
        log.exception("Posting deduction import %s failed", import_id)
        result.update(ok=False, **said_fields(Said("post_system_error")))
    with transaction.atomic():
        # FOR NO KEY UPDATE: serialises the tasks' records without waiting for the batches
        # posting meanwhile, which hold the run FOR KEY SHARE (``_check_agency_open``)
        run = DeductionRun.objects.select_for_update(no_key=True).get(pk=run.pk)
        at = next((i for i, r in enumerate(run.posting_results) if r.get("import") == imp.pk), None)
        if at is not None:  # a task run again: its first run recorded this import
            recorded = run.posting_results[at]
            if recorded["ok"] or not result["ok"]:
                return recorded  # posted then (now "already posted"), or refused again
            # refused then (a transient error), posted now: the result says so
            run.posting_results[at] = result
            run.save(update_fields=["posting_results"])
            return result
        run.posting_results = [*run.posting_results, result]
        run.posting_done = min(run.posting_done + 1, run.posting_total)
        if run.posting_done == run.posting_total:
            run.posting_status = DeductionRun.PostingStatus.DONE
        run.save(update_fields=["posting_results", "posting_done", "posting_status"])
    return result


def deduction_run_post_all(
    *, run: DeductionRun, import_ids: list[int], by, on=None
) -> DeductionRun:
    """The queued imports one after the other in this process (what the Celery tasks do
    side by side)."""
    for import_id in import_ids:
        deduction_run_post_one(run=run, import_id=import_id, by=by, on=on)
    run.refresh_from_db()
    return run
