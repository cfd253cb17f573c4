"""The realized deductions of an agency, uploaded as XLSX or CSV: every row
checked (unknown members, duplicates, members not in the run, amounts above what was
asked), rows excluded, a file discarded."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.text import control_characters_removed
from core.common.uploads import upload_file_name
from core.deductions.audit import DeductionAudit
from core.members.models import Agency, Member

from ..import_messages import Said, row_message, said_kept
from ..models import DeductionImport, DeductionLine, DeductionRun
from ..parsing import parse_realized
from .common import ZERO, E, _require, _user, posting_date_default
from .loan_dates import (
    date_errors_only,
    errors_with_loan_dates,
    is_loan_date_error,
    rows_loan_date_errors,
)

# --- imports ---------------------------------------------------------------------------


def _validate_rows(*, run: DeductionRun, agency: Agency, parsed) -> tuple[list, list, list]:
    """Match rows to the run's lines of ``agency``; (rows, errors, warnings). A row whose
    NIP and member number name two different members is refused naming both; a row whose
    NIP cell is unusable is matched by its member number and said so."""
    lines = list(
        DeductionLine.objects.filter(run=run).values("id", "member_id", "agency_id", "total")
    )
    line_by_member = {ln["member_id"]: ln for ln in lines}
    nips = {r.nip for r in parsed.rows if r.nip}
    numbers = {r.number for r in parsed.rows if r.number}
    members_by_nip = {}
    members_by_number = {}
    names = {}
    # a person who left and joined again has a record per membership with one NIP: the
    # row is the membership on this list, else the active one, else the latest
    best: dict[str, tuple] = {}
    # the file's thousands of NIPs and numbers as one parameter each (``any_of``)
    for mid, nip, number, name, status in Member.objects.filter(nip__any_of=nips).values_list(
        "id", "nip", "number", "full_name", "status"
    ):
        rank = (mid in line_by_member, status == Member.Status.ACTIVE, mid)
        if nip not in best or rank > best[nip][0]:
            best[nip] = (rank, mid, number, name)
    for nip, (_rank, mid, number, name) in best.items():
        members_by_nip[nip] = mid
        names[mid] = f"{name} ({number})"
    for mid, number, name in Member.objects.filter(number__any_of=numbers).values_list(
        "id", "number", "full_name"
    ):
        members_by_number[number] = mid
        names[mid] = f"{name} ({number})"
    # a member number typed in a number cell lost its leading zeros ("000123" → 123):
    # match it to the one member whose number is those digits with zeros in front
    padded: dict[str, int] = {}
    lost = sorted(n for n in numbers - set(members_by_number) if n.isdigit() and len(n) < 20)
    if lost:
        pattern = r"^0+(" + "|".join(lost) + r")$"
        found: dict[str, list] = {}
        for mid, number, name in Member.objects.filter(number__regex=pattern).values_list(
            "id", "number", "full_name"
        ):
            found.setdefault(number.lstrip("0"), []).append((mid, number, name))
        for digits, candidates in found.items():
            if len(candidates) == 1:
                mid, number, name = candidates[0]
                padded[digits] = mid
                names[mid] = f"{name} ({number})"
    agency_names = dict(Agency.objects.values_list("id", "name"))
    # members of the list who left since it was made (exit settled: retired, resigned,
    # moved, deceased): their savings take no deposit, so money cut from them is not posted
    # (one join over the run's lines, not the run's thousands of member ids as parameters)
    inactive = dict(
        DeductionLine.objects.filter(run=run)
        .exclude(member__status=Member.Status.ACTIVE)
        .values_list("member_id", "member__status")
    )
    rows, errors, warnings = [], [], []
    seen: dict[int, int] = {}
    for r in parsed.rows:
        if r.hidden:
            warnings.append(row_message(r.row, "", Said("row_hidden")))
        if r.error and not (r.nip or r.number):
            errors.append(row_message(r.row, r.column, r.error, column_code=r.column_code))
            continue
        by_nip = members_by_nip.get(r.nip) if r.nip else None
        by_number = members_by_number.get(r.number) if r.number else None
        zeros_lost = False
        if r.number and by_number is None and r.number.lstrip("0") in padded:
            by_number, zeros_lost = padded[r.number.lstrip("0")], True
        if by_nip and by_number and by_nip != by_number:
            errors.append(
                row_message(
                    r.row,
                    "NIP",
                    Said(
                        "ids_two_members",
                        {"nip": r.nip, "a": names[by_nip], "no": r.number, "b": names[by_number]},
                    ),
                )
            )
            continue
        mid = by_nip or by_number
        who = r.nip or r.number
        guessed = ""
        by_nip_only = False  # the member number named nobody: matched by the NIP
        if zeros_lost and not by_nip:
            guessed = Said("zeros_lost", {"n": r.number, "m": names[by_number]})
        elif r.nip_error and by_number:
            guessed = Said("nip_unreadable_matched", r.nip_error.params)
        elif r.nip and by_nip is None and by_number:
            guessed = Said("nip_unknown_matched", {"n": r.nip})
        elif r.number and by_number is None and by_nip:
            by_nip_only = True
            guessed = Said("number_unknown_matched", {"n": r.number})
        if mid is None:
            errors.append(row_message(r.row, "NIP", Said("member_unknown", {"who": who})))
            continue
        if mid in seen:
            errors.append(
                row_message(r.row, "NIP", Said("duplicate", {"who": who, "first_row": seen[mid]}))
            )
            continue
        seen[mid] = r.row
        if r.error:  # the member is known, the amount is not usable
            errors.append(row_message(r.row, r.column, r.error, column_code=r.column_code))
            continue
        line = line_by_member.get(mid)
        if line is None:
            errors.append(row_message(r.row, "NIP", Said("not_in_list", {"who": who})))
            continue
        if line["agency_id"] != agency.pk:
            said = Said(
                "other_agency",
                {
                    "who": who,
                    "agency": agency_names.get(line["agency_id"]),
                    "expected": agency.name,
                },
            )
            errors.append(row_message(r.row, "NIP", said))
            continue
        if mid in inactive and r.amount > 0:
            errors.append(_inactive_error(r.row, who, inactive[mid], r.amount))
            continue
        if guessed:
            warnings.append(row_message(r.row, "NIP", guessed))
        if r.amount > line["total"]:
            said = Said("over_asked", {"amount": str(r.amount), "asked": str(line["total"])})
            warnings.append(row_message(r.row, _("Realisasi"), said, column_code="realized"))
        row = {"row": r.row, "line_id": line["id"], "amount": str(r.amount)}
        if guessed or r.written or r.hidden:
            # the preview shows what will be written for rows read differently than written
            row["preview"] = {
                "member": names.get(mid, who),
                "asked": str(line["total"]),
                "written": r.written,
                "guessed": bool(guessed),
                **({"by_nip": True} if by_nip_only else {}),
                "hidden": r.hidden,
            }
        rows.append(row)
    return rows, errors, warnings


def _inactive_error(row: int, who: str, status: str, amount) -> dict:
    """The row error of money cut from a member who is no longer active."""
    return row_message(
        row,
        "NIP",
        Said("member_inactive", {"who": who, "status": status, "amount": str(amount)}),
    )


def inactive_member_rows(imp: DeductionImport) -> list[dict]:
    """Row errors for the rows of ``imp`` (not excluded, not already in error) that cut
    money from a member who has left since the file was checked (an exit settled between
    upload and posting): the posting would refuse their deposits."""
    # a row flagged only for the posting date (``loan_dates``) is checked too: the date
    # typed at posting may clear that flag, not this one
    excluded = set(imp.excluded_rows) | {e["row"] for e in imp.errors if not is_loan_date_error(e)}
    rows = {
        r["line_id"]: r for r in imp.rows if r["row"] not in excluded and Decimal(r["amount"]) > 0
    }
    if not rows:
        return []
    out = []
    for line_id, nip, status in (
        DeductionLine.objects.filter(pk__in=list(rows))
        .exclude(member__status=Member.Status.ACTIVE)
        .values_list("id", "nip", "member__status")
    ):
        r = rows[line_id]
        out.append(_inactive_error(r["row"], nip, status, Decimal(r["amount"])))
    return sorted(out, key=lambda e: e["row"])


@transaction.atomic
def deduction_import_members_recheck(*, imp: DeductionImport, by) -> list[dict]:
    """Before posting: mark the rows of members who left since the upload as errors
    (status "invalid"), so they can be excluded like any bad row; returns those errors
    (none: nothing changed)."""
    imp = DeductionImport.objects.select_for_update(of=("self",)).get(pk=imp.pk)
    if imp.status != DeductionImport.Status.VALID and not date_errors_only(imp):
        return []
    found = inactive_member_rows(imp)
    if not found:
        return []
    imp.errors = sorted([*imp.errors, *found], key=lambda e: e["row"])
    imp.status = _status_for(imp)
    imp.total_realized = _total_realized(imp)
    imp.save(update_fields=["errors", "status", "total_realized"])
    audit_log(
        actor=by,
        action=DeductionAudit.IMPORT_RECHECK,
        target=imp,
        data={"rows": [e["row"] for e in found], "status": imp.status},
    )
    return found


@transaction.atomic
def deduction_import_loan_dates_mark(*, imp: DeductionImport, found: list[dict], on, by) -> None:
    """A posting on ``on`` refused because rows pay loans too early for it
    (``loan_dates``): those rows are marked as errors (replacing the flags of an earlier
    date), so they can be excluded like any bad row or the batch posted on a later date.
    Nothing else changes."""
    imp = DeductionImport.objects.select_for_update(of=("self",)).get(pk=imp.pk)
    if imp.status != DeductionImport.Status.VALID and not date_errors_only(imp):
        return  # posted, discarded or otherwise invalid in the meantime
    imp.errors = errors_with_loan_dates(imp, found)
    imp.status = _status_for(imp)
    imp.total_realized = _total_realized(imp)
    imp.save(update_fields=["errors", "status", "total_realized"])
    audit_log(
        actor=by,
        action=DeductionAudit.IMPORT_RECHECK,
        target=imp,
        data={"rows": [e["row"] for e in found], "on": on.isoformat(), "status": imp.status},
    )


def _file_checks(*, run: DeductionRun, agency: Agency, parsed, rows) -> tuple[list, list]:
    """(file errors, file warnings) from the export's mark: a file of another run or
    agency is refused; a file without the mark is compared with what was asked."""
    errors, warnings = [], []
    mark = parsed.mark
    if mark is not None:
        if mark["run"] != run.pk or mark["agency"] != agency.code:
            errors.append(
                Said(
                    "other_run",
                    {
                        "year": mark["year"],
                        "month": mark["month"],
                        "agency": control_characters_removed(mark["agency"]),
                        "run_year": run.year,
                        "run_month": run.month,
                        "run_agency": agency.code,
                    },
                )
            )
        return errors, warnings
    if parsed.title_month and parsed.title_month != (run.year, run.month):
        y, m = parsed.title_month
        errors.append(
            Said(
                "title_month",
                {"year": y, "month": m, "run_year": run.year, "run_month": run.month},
            )
        )
        return errors, warnings
    asked = dict(DeductionLine.objects.filter(run=run, agency=agency).values_list("id", "total"))
    same = sum(1 for r in rows if Decimal(r["amount"]) == asked.get(r["line_id"]))
    realized = sum((Decimal(r["amount"]) for r in rows), ZERO)
    warnings.append(
        Said(
            "unmarked_file",
            {
                "run_year": run.year,
                "run_month": run.month,
                "agency": agency.name,
                "same": same,
                "n": len(rows),
                "total": str(realized),
                "asked": str(sum(asked.values(), ZERO)),
            },
        )
    )
    return errors, warnings


def _read_as(parsed) -> dict:
    """What the preview shows of a CSV read as Windows-1252 (not UTF-8): that it was,
    and its cells with letters outside ASCII to check (kept through the posting)."""
    if not parsed.encoding:
        return {}
    return {
        "encoding": parsed.encoding,
        "non_ascii": parsed.non_ascii,
        "non_ascii_count": parsed.non_ascii_count,
    }


def _status_for(imp: DeductionImport) -> str:
    excluded = set(imp.excluded_rows)
    blocking = [e for e in imp.errors if e["row"] not in excluded]
    if imp.file_errors or blocking:
        return DeductionImport.Status.INVALID
    return DeductionImport.Status.VALID


def _total_realized(imp: DeductionImport) -> Decimal:
    """What the import would book: its rows neither excluded nor in error (a row marked
    as an error after the upload, a member who left since, keeps its amount in ``rows``
    and books nothing). Kept on the import whenever its errors or exclusions change."""
    out = set(imp.excluded_rows) | {e["row"] for e in imp.errors}
    return sum((Decimal(r["amount"]) for r in imp.rows if r["row"] not in out), ZERO)


def _check_agency_open(run: DeductionRun, agency: Agency) -> None:
    """Refuse an agency that cannot take a file now. The run is held FOR KEY SHARE until
    the caller's transaction ends (uploads and batch postings do not wait for each other;
    "Buat ulang daftar" and "post every ready agency", which lock it FOR UPDATE, wait for
    them, and the first then discards their files with the old list) and its status read
    again under that lock. Not FOR SHARE: the post-all tasks record each agency's result
    on the run (FOR NO KEY UPDATE, ``deduction_run_post_one``) while other agencies'
    batches are posting, and FOR SHARE would make that record wait for each of them to
    commit (the tasks then posted one after the other)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT status FROM deductions_deductionrun WHERE id = %s FOR KEY SHARE", [run.pk]
        )
        run.status = cur.fetchone()[0]
    if run.status != DeductionRun.Status.READY:
        raise ApplicationError(E.RUN_NOT_READY, _("Daftar potong gaji belum selesai dibuat."))
    if DeductionImport.objects.filter(
        run=run, agency=agency, status=DeductionImport.Status.POSTED
    ).exists():
        raise ApplicationError(
            E.ALREADY_POSTED,
            agency_posted(run, agency),
            status=409,
        )
    # the run's own month may be closed: the batch is posted on the day the money came
    # (``posting_date_clean``), which must be in an open period


def agency_posted(run: DeductionRun, agency: Agency) -> Said:
    """The refusal of a second batch for an agency whose month is posted."""
    return Said("post_agency_posted", {"agency": agency.name, "year": run.year, "month": run.month})


@transaction.atomic
def deduction_import_upload(
    *, run: DeductionRun, agency: Agency, content: bytes, file_name: str, by
) -> DeductionImport:
    """Read and check a realized file. The import is kept with its row errors (status
    "invalid") or ready to post ("valid"); nothing is posted here. The same file (by
    SHA-256) is accepted once per run and agency (a unique constraint)."""
    _require(by, _("mengunggah realisasi potong gaji"))
    _check_agency_open(run, agency)
    digest = hashlib.sha256(content).hexdigest()
    if DeductionImport.objects.filter(
        run=run, agency=agency, file_hash=digest, status__in=["invalid", "valid", "posted"]
    ).exists():
        raise ApplicationError(
            E.FILE_DUPLICATE,
            _("File ini sudah pernah diunggah untuk %(a)s bulan %(m)s.")
            % {"a": agency.name, "m": run.month_shown},
            status=409,
        )
    parsed = parse_realized(content=content, file_name=file_name, agency_code=agency.code)
    rows, errors, warnings = ([], [], [])
    file_warnings: list[str] = []
    if not parsed.file_errors:
        rows, errors, warnings = _validate_rows(run=run, agency=agency, parsed=parsed)
        file_errors, file_warnings = _file_checks(run=run, agency=agency, parsed=parsed, rows=rows)
        parsed.file_errors.extend(file_errors)
        # rows paying a loan that takes no payment on the date the page proposes (checked
        # again at posting against the date typed)
        errors = sorted(
            [
                *errors,
                *rows_loan_date_errors(
                    run=run, agency=agency, rows=rows, on=posting_date_default(run)
                ),
            ],
            key=lambda e: e["row"],
        )
    imp = DeductionImport(
        run=run,
        agency=agency,
        file_name=upload_file_name(file_name, default="realisasi"),
        file_hash=digest,
        rows=rows,
        errors=errors,
        file_errors=[said_kept(e) for e in parsed.file_errors],
        posted_data={
            "warnings": warnings,
            "file_warnings": [said_kept(w) for w in file_warnings],
            **_read_as(parsed),
        },
        created_by=_user(by),
    )
    imp.status = _status_for(imp)
    imp.total_realized = _total_realized(imp)
    try:
        with transaction.atomic():
            imp.save()
    except IntegrityError:
        raise ApplicationError(
            E.FILE_DUPLICATE, _("File ini sudah pernah diunggah."), status=409
        ) from None
    audit_log(
        actor=by,
        action=DeductionAudit.IMPORT_UPLOAD,
        target=imp,
        data={
            "file": imp.file_name,
            "rows": len(rows),
            "errors": len(errors),
            "status": imp.status,
        },
    )
    return imp


@transaction.atomic
def deduction_import_exclude(*, imp: DeductionImport, rows: list[int], by) -> DeductionImport:
    """Explicitly leave bad rows out (they count as not deducted). Only rows with errors."""
    _require(by, _("mengecualikan baris"))
    imp = DeductionImport.objects.select_for_update().get(pk=imp.pk)
    if imp.status not in (DeductionImport.Status.INVALID, DeductionImport.Status.VALID):
        raise ApplicationError(E.WRONG_STATUS, _("Impor ini tidak dapat diubah lagi."))
    bad = {e["row"] for e in imp.errors}
    wrong = [r for r in rows if r not in bad]
    if wrong:
        raise ApplicationError(
            E.FILE_INVALID,
            _("Hanya baris yang salah dapat dikecualikan (baris %(r)s tidak salah).")
            % {"r": ", ".join(map(str, wrong))},
        )
    imp.excluded_rows = sorted(set(rows))
    imp.status = _status_for(imp)
    imp.total_realized = _total_realized(imp)
    imp.save(update_fields=["excluded_rows", "status", "total_realized"])
    audit_log(
        actor=by, action=DeductionAudit.IMPORT_EXCLUDE, target=imp, data={"rows": imp.excluded_rows}
    )
    return imp


@transaction.atomic
def deduction_import_discard(*, imp: DeductionImport, by) -> DeductionImport:
    _require(by, _("membuang impor"))
    imp = DeductionImport.objects.select_for_update().get(pk=imp.pk)
    if imp.status not in (DeductionImport.Status.INVALID, DeductionImport.Status.VALID):
        raise ApplicationError(E.WRONG_STATUS, _("Impor yang sudah diposting tidak dapat dibuang."))
    imp.status = DeductionImport.Status.DISCARDED
    imp.save(update_fields=["status"])
    audit_log(actor=by, action=DeductionAudit.IMPORT_DISCARD, target=imp)
    return imp
