"""REST API of the move-in (for cooperatives moving from another application by
script), one endpoint per step; admin and bendahara only. Rows are given as JSON
(``rows``) or as an uploaded XLSX/CSV (``file``, the templates' columns).

A step's ``preview: true`` answers what it would save and a ``reference`` to what it
checked (kept two hours, as the screen's previews: ``core.onboarding.preview``); the
save call may then send ``{"reference": …}`` alone instead of the rows or the file
again: what was previewed is what is saved, once, by the user who previewed it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import SafeJSONParser, request_object
from core.common.errors import ApplicationError
from core.common.idempotency import IdempotentPostMixin
from core.common.permissions import TREASURY, RolePermission
from core.common.spreadsheet import WINDOWS_1252

from . import files, selectors, services
from .capital import capital_balances_check_open, capital_balances_post, capital_balances_preview
from .common import UNDO_REASON_MAX, E
from .contributions import (
    shu_contributions_check_open,
    shu_contributions_post,
    shu_contributions_preview,
)
from .loans_import import loans_check_open, loans_import, loans_preview
from .models import MoveIn
from .preview import MAX_AGE, upload_preview_confirm, upload_preview_keep, upload_preview_keep_rows

MAX_UPLOAD = 10 * 1024 * 1024


def move_in_data(mi: MoveIn) -> dict:
    jasa = selectors.move_in_shu_contributions(move_in=mi)
    capital = selectors.move_in_capital_balances(move_in=mi)
    return {
        "id": mi.pk,
        "cutover_date": mi.cutover_date.isoformat(),
        "status": mi.status,
        "steps": {
            "trial_balance": mi.trial_balance_step,
            "members": mi.members_step,
            "loans": mi.loans_step,
        },
        "opening_entry": mi.opening_entry_id,
        "trial_balance_rows": mi.trial_balance_rows,
        "loans": mi.loans.count(),
        # optional step: each member's jasa paid in the cut-over's year in the old books
        "shu_contributions": {
            "year": jasa["year"],
            "members": jasa["members"],
            "total": str(jasa["total"].quantize(Decimal("1"))),
        },
        # optional step: each member's capital at the month-ends before the cut-over
        "capital_balances": {
            "year": capital["year"],
            "members": capital["members"],
            "rows": capital["rows"],
            "months": _capital_months(capital),
        },
        "undo_possible": mi.status != MoveIn.Status.UNDONE
        and services.undo_blocking_postings(mi) == 0,
        "member_imports": [
            {
                "id": b.pk,
                "file_name": b.file_name,
                "status": b.status,
                "members": (b.summary or {}).get("members", b.row_count),
                "imported_at": b.imported_at.isoformat() if b.imported_at else None,
                "undone_at": b.undone_at.isoformat() if b.undone_at else None,
            }
            for b in selectors.move_in_member_imports(move_in=mi)
        ],
    }


def _whole(value) -> str | None:
    return None if value is None else str(value.quantize(Decimal("1")))


def _capital_months(summary: dict) -> list[dict]:
    return [
        {
            "month_end": m["month_end"].isoformat(),
            "old_books": m["old_books"],
            "estimated": m["estimated"],
        }
        for m in summary["months"]
    ]


def capital_data(summary: dict) -> dict:
    """A capital summary (saved or previewed) as the API answers it."""
    return {
        "year": summary["year"],
        "cutover": summary["cutover"].isoformat(),
        "members": summary["members"],
        "rows": summary["rows"],
        "skipped": summary["skipped"],
        "months": _capital_months(summary),
        "lines": [
            {
                "member_number": x["member_number"],
                "month_end": x["month_end"].isoformat(),
                "pokok": _whole(x["pokok"]),
                "wajib": _whole(x["wajib"]),
                "sukarela": _whole(x["sukarela"]),
            }
            for x in summary["lines"]
        ],
    }


def request_rows(request, kind: str) -> list[dict]:
    return request_rows_hidden(request, kind)[0]


def _yes(value) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "on", "ya", "yes")


def request_rows_hidden(request, kind: str) -> tuple[list[dict], list[int], str]:
    """The rows, the sheet numbers of an uploaded file's hidden rows (refused while there
    are any, until ``hidden_rows_ok`` says they were checked) and a CSV's encoding."""
    read = request_file_rows(request, kind)
    return read.rows, read.hidden, read.encoding


def request_file_rows(request, kind: str) -> files.FileRows:
    """``request_rows_hidden`` with the rows of the file left out as no data (a totals
    row, a signature line: the preview's ``left_out_rows``); rows given as JSON have
    none."""
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_UPLOAD:
            raise ApplicationError(E.FILE_INVALID, "Berkas terlalu besar (maksimal 10 MB).")
        return files.file_checked_for_hidden(
            content=upload.read(),
            file_name=upload.name,
            kind=kind,
            hidden_rows_ok=_yes(request_object(request).get("hidden_rows_ok")),
        )
    rows = request_object(request).get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ApplicationError(
            E.ROWS_INVALID,
            _("Kirim 'rows' (daftar objek) atau unggah 'file'."),
            fields={"rows": [_("Wajib berupa daftar objek.")]},
        )
    return files.FileRows(rows=rows, hidden=[], encoding="", left_out=[])


def _left_out(read: files.FileRows) -> dict:
    """The preview's ``left_out_rows``: each row of the file not read as data, with its
    number, ``reason`` (``totals_checked``, ``totals``, ``subtotal``, ``no_data``,
    ``signature``), what
    it shows and why in Indonesian; and its ``ignored_columns``: each column of the
    header not read, ``{column, reason, message}`` (``reason``: ``ambiguous``,
    ``duplicate``, ``unknown``; ``files.ignored_columns``)."""
    return {"left_out_rows": read.left_out, "ignored_columns": read.ignored_columns}


def _read_as(encoding: str) -> dict:
    """The response's note of a CSV read as Windows-1252 (not UTF-8)."""
    return {"encoding": "windows-1252"} if encoding == WINDOWS_1252 else {}


def _json_dict(request, key: str) -> dict:
    value = request_object(request).get(key) or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict):
        raise ApplicationError(
            E.ROWS_INVALID,
            _("'%(key)s' harus berupa objek.") % {"key": key},
            fields={key: [_("Objek.")]},
        )
    return value


# what a save by reference must not send along: the preview kept them
WITH_REFERENCE = ("rows", "file", "mappings", "creations", "hidden_rows_ok", "preview")


def request_reference(request) -> str | None:
    """The reference of an earlier preview that a save call sends instead of its rows
    (``{"reference": "…"}``), or None when it sends none. Sent with rows, a file, a
    mapping or ``preview: true`` (which of them would be saved?): refused."""
    body = request_object(request)
    if "reference" not in body:
        return None
    reference = body.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        message = _("'reference' harus berupa teks dari jawaban pratinjau.")
        raise ApplicationError(E.PREVIEW_INVALID, message, fields={"reference": [message]})
    given = [
        k
        for k in WITH_REFERENCE
        if (k in request.FILES if k == "file" else k in body)
        and not (k == "preview" and not _yes(body.get(k)))
    ]
    if given:
        message = _(
            "Kirim 'reference' saja: baris, berkas dan pemetaannya sudah ikut pratinjau "
            "(dikirim juga: %(given)s)."
        ) % {"given": ", ".join(given)}
        raise ApplicationError(E.PREVIEW_INVALID, message, fields={"reference": [message]})
    return reference


def preview_keep(request, *, move_in: MoveIn, kind: str, rows: list[dict], options=None) -> dict:
    """Keep what a preview checked (the uploaded file, else the JSON rows) and answer its
    reference, for the save call to send instead."""
    options = dict(options or {})
    upload = request.FILES.get("file")
    if upload is not None:
        upload.seek(0)
        reference = upload_preview_keep(
            move_in=move_in,
            kind=kind,
            content=upload.read(),
            file_name=upload.name,
            options={
                "hidden_rows_ok": _yes(request_object(request).get("hidden_rows_ok")),
                **options,
            },
            by=request.user,
        )
    else:
        reference = upload_preview_keep_rows(
            move_in=move_in, kind=kind, rows=rows, options=options, by=request.user
        )
    return {"reference": reference, "reference_expires_in": int(MAX_AGE.total_seconds())}


def save_by_reference(
    request, *, kind: str, reference: str, save: Callable[[MoveIn, list[dict], dict], Any]
) -> tuple[Any, list[int], str]:
    """Save what a preview kept (``save(move_in, rows, options)``, the step's service),
    then forget it; refused with the preview's own error codes (expired, saved already,
    another user's or step's, altered), as the screen's confirm (``upload_preview_confirm``).
    Returns what ``save`` returned, the hidden rows of a file and its encoding."""
    done = upload_preview_confirm(reference=reference, kind=kind, by=request.user, save=save)
    return done.saved, done.hidden, done.encoding


class _Base(IdempotentPostMixin, APIView):
    permission_classes = [RolePermission]
    read_roles = TREASURY
    write_roles = TREASURY
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]


class MoveInView(_Base):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response({"move_in": move_in_data(services.move_in_get())})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        try:
            cutover = date.fromisoformat(str(request_object(request).get("cutover_date") or ""))
        except ValueError:
            raise ApplicationError(
                E.CUTOVER_INVALID,
                _("Tanggal pindah tidak valid (TTTT-BB-HH)."),
                fields={"cutover_date": [_("Tanggal tidak valid.")]},
            ) from None
        mi = services.move_in_start(cutover_date=cutover, by=request.user)
        return Response({"move_in": move_in_data(mi)}, status=201)


class TrialBalanceView(_Base):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """``preview: true``: checked the same way and answered (the lines as they would
        be posted, the total, a ``reference``), nothing written (200). ``reference``
        alone: posts what that preview checked, with its mapping."""
        mi = services.move_in_get()
        services.trial_balance_check_open(mi)
        reference = request_reference(request)
        if reference is not None:
            entry, hidden, encoding = save_by_reference(
                request,
                kind="trial_balance",
                reference=reference,
                save=lambda move_in, rows, options: _trial_balance_post(
                    request, move_in, rows, *services.trial_balance_options_maps(options)
                ),
            )
            return _trial_balance_saved(entry, hidden, encoding)
        read = request_file_rows(request, "trial_balance")
        rows, hidden, encoding = read.rows, read.hidden, read.encoding
        mappings = _json_dict(request, "mappings")
        creations = _json_dict(request, "creations")
        if not _yes(request_object(request).get("preview")):
            entry = _trial_balance_post(request, mi, rows, mappings, creations)
            return _trial_balance_saved(entry, hidden, encoding)
        shown = services.trial_balance_preview(
            move_in=mi, rows=rows, mappings=mappings, creations=creations, by=request.user
        )
        kept = preview_keep(
            request,
            move_in=mi,
            kind="trial_balance",
            rows=rows,
            options={"mappings": mappings, "creations": creations},
        )
        return Response(
            {
                "preview": True,
                "cutover": shown["cutover"].isoformat(),
                "total": _whole(shown["total"]),
                "new_accounts": shown["new_accounts"],
                "lines": [
                    {
                        "row": x["row"],
                        "account": x["code"],
                        "name": x["name"],
                        "new": x["new"],
                        "parent": x["parent"] or None,
                        "debit": _whole(x["debit"]),
                        "credit": _whole(x["credit"]),
                        "posted_to": x["posted_to"].code if x["posted_to"] else None,
                    }
                    for x in shown["lines"]
                ],
                "hidden_rows": hidden,
                **_left_out(read),
                **_read_as(encoding),
                **kept,
            }
        )


def _trial_balance_post(request, mi: MoveIn, rows, mappings, creations):
    return services.trial_balance_post(
        move_in=mi, rows=rows, mappings=mappings, creations=creations, by=request.user
    )


def _trial_balance_saved(entry, hidden: list[int], encoding: str) -> Response:
    return Response(
        {"entry": entry.pk, "number": str(entry), "hidden_rows": hidden, **_read_as(encoding)},
        status=201,
    )


class LoansView(_Base):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """``preview: true``: checked the same way and answered (per loan what it would
        bring in, the totals, the control accounts against the trial balance, a
        ``reference``), nothing written (200). ``reference`` alone: brings in what that
        preview checked."""
        mi = services.move_in_get()
        loans_check_open(mi)
        reference = request_reference(request)
        if reference is not None:
            loans, hidden, encoding = save_by_reference(
                request,
                kind="loans",
                reference=reference,
                save=lambda move_in, rows, options: loans_import(
                    move_in=move_in, rows=rows, by=request.user
                ),
            )
            return _loans_saved(loans, hidden, encoding)
        read = request_file_rows(request, "loans")
        rows, hidden, encoding = read.rows, read.hidden, read.encoding
        if not _yes(request_object(request).get("preview")):
            loans = loans_import(move_in=mi, rows=rows, by=request.user)
            return _loans_saved(loans, hidden, encoding)
        shown = loans_preview(move_in=mi, rows=rows, by=request.user)
        kept = preview_keep(request, move_in=mi, kind="loans", rows=rows)
        money = ("principal", "outstanding", "arrears_principal", "arrears_jasa", "ppap")
        return Response(
            {
                "preview": True,
                "cutover": shown["cutover"].isoformat(),
                "loans": shown["loans"],
                "in_arrears": shown["in_arrears"],
                **{f: _whole(shown[f]) for f in money},
                "lines": [
                    {
                        "row": x["row"],
                        "member_number": x["member_number"],
                        "product": x["product"],
                        "loan_number": x["number"] or None,
                        **{f: _whole(x[f]) for f in money},
                        "days_past_due": x["days_past_due"],
                        "kolektibilitas": x["grade"],
                    }
                    for x in shown["lines"]
                ],
                "controls": [
                    {
                        "account": c["account"],
                        "trial_balance": _whole(c["trial_balance"]),
                        "loans": _whole(c["loans"]),
                        "difference": _whole(c["difference"]),
                    }
                    for c in shown["controls"]
                ],
                "hidden_rows": hidden,
                **_left_out(read),
                **_read_as(encoding),
                **kept,
            }
        )


def _loans_saved(loans, hidden: list[int], encoding: str) -> Response:
    return Response(
        {"loans": [ln.number for ln in loans], "hidden_rows": hidden, **_read_as(encoding)},
        status=201,
    )


class ShuContributionsView(_Base):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """Jasa pinjaman each member paid in the cut-over's year in the old books (JSON
        ``rows`` of ``{row, member_number, jasa}``, or a ``file`` with the template's
        columns): the year end adds it to the jasa paid in Lumbung when it shares the
        jasa anggota pool. Sent again, it replaces. ``preview: true``: checked and
        answered with a ``reference``, nothing saved (200); ``reference`` alone: saves
        what that preview checked."""
        mi = services.move_in_get()
        shu_contributions_check_open(mi)
        reference = request_reference(request)
        if reference is not None:
            saved, hidden, encoding = save_by_reference(
                request,
                kind="shu_contributions",
                reference=reference,
                save=lambda move_in, rows, options: shu_contributions_post(
                    move_in=move_in, rows=rows, by=request.user
                ),
            )
            return _jasa_saved(saved, hidden, encoding)
        read = request_file_rows(request, "shu_contributions")
        rows, hidden, encoding = read.rows, read.hidden, read.encoding
        if not _yes(request_object(request).get("preview")):
            saved = shu_contributions_post(move_in=mi, rows=rows, by=request.user)
            return _jasa_saved(saved, hidden, encoding)
        # checked and shown, nothing saved
        shown = shu_contributions_preview(move_in=mi, rows=rows, by=request.user)
        kept = preview_keep(request, move_in=mi, kind="shu_contributions", rows=rows)
        return Response(
            {
                "preview": True,
                "year": shown["year"],
                "members": shown["members"],
                "total": str(shown["total"]),
                "lines": [
                    {"member_number": x["member_number"], "jasa": _whole(x["jasa"])}
                    for x in shown["lines"]
                ],
                "hidden_rows": hidden,
                **_left_out(read),
                **_read_as(encoding),
                **kept,
            }
        )


def _jasa_saved(saved: dict, hidden: list[int], encoding: str) -> Response:
    return Response(
        {**saved, "total": str(saved["total"]), "hidden_rows": hidden, **_read_as(encoding)},
        status=201,
    )


class CapitalBalancesView(_Base):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        """Each member's capital savings at the month-ends of the cut-over's year before
        the cut-over in the old books (JSON ``rows`` of ``{row, member_number, month,
        pokok, wajib, sukarela?}``, or a ``file`` with the template's columns): the year
        end's average capital basis takes those month-ends from here and estimates only
        the others. Sent again, it replaces. ``preview: true``: checked and answered with
        a ``reference``, nothing saved (200); ``reference`` alone: saves what that
        preview checked."""
        mi = services.move_in_get()
        capital_balances_check_open(mi)
        reference = request_reference(request)
        if reference is not None:
            saved, hidden, encoding = save_by_reference(
                request,
                kind="capital_balances",
                reference=reference,
                save=lambda move_in, rows, options: capital_balances_post(
                    move_in=move_in, rows=rows, by=request.user
                ),
            )
            return Response(
                {**capital_data(saved), "hidden_rows": hidden, **_read_as(encoding)}, status=201
            )
        read = request_file_rows(request, "capital_balances")
        rows, hidden, encoding = read.rows, read.hidden, read.encoding
        extra = {"hidden_rows": hidden, **_read_as(encoding)}
        if _yes(request_object(request).get("preview")):
            shown = capital_balances_preview(move_in=mi, rows=rows, by=request.user)
            kept = preview_keep(request, move_in=mi, kind="capital_balances", rows=rows)
            return Response(
                {"preview": True, **capital_data(shown), **extra, **_left_out(read), **kept}
            )
        saved = capital_balances_post(move_in=mi, rows=rows, by=request.user)
        return Response({**capital_data(saved), **extra}, status=201)


class ReconciliationView(_Base):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(selectors.move_in_reconciliation(move_in=services.move_in_get()))


class AdjustmentView(_Base):
    """A documented adjustment of a differing control account (JSON, or multipart with
    an optional ``document``)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        body = request_object(request)
        adj = services.move_in_adjust(
            move_in=services.move_in_get(),
            account=str(body.get("account") or ""),
            amount=body.get("amount"),
            offset_account=str(body.get("offset_account") or ""),
            explanation=body.get("explanation", ""),
            document=request.FILES.get("document"),
            by=request.user,
        )
        rec = selectors.move_in_reconciliation(move_in=adj.move_in)
        return Response(
            {
                "adjustment": {
                    "id": adj.pk,
                    "account": adj.account.code,
                    "offset_account": adj.offset_account.code,
                    "amount": str(adj.amount.quantize(Decimal("1"))),
                    "entry": adj.entry_id,
                },
                "reconciliation": rec,
            },
            status=201,
        )


class GoLiveCheckView(_Base):
    """Whether the move-in may go live now, and every refusal the go-live would give, in
    its order (the go-live answers the first): code, message, fields as its error, what
    to do (``todo``, when the message does not say it) and the page where (``url``).
    Writes nothing."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        refusals = services.move_in_go_live_refusals(move_in=services.move_in_get())
        return Response(
            {
                "ready": not refusals,
                "refusals": [
                    {**r.error.as_dict()["error"], "todo": str(r.todo), "url": r.url}
                    for r in refusals
                ],
            }
        )


class GoLiveView(_Base):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        mi = services.move_in_go_live(move_in=services.move_in_get(), by=request.user)
        return Response({"move_in": move_in_data(mi)})


class UndoSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=UNDO_REASON_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Alasan pembatalan (wajib diisi)",
    )


class UndoView(_Base):
    @extend_schema(request=UndoSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        ser = UndoSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        mi = services.move_in_undo(
            move_in=services.move_in_get(), reason=ser.validated_data["reason"], by=request.user
        )
        return Response({"move_in": move_in_data(mi)})


class TemplateView(_Base):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, kind: str):
        if kind not in files.TEMPLATES:
            raise ApplicationError(E.FILE_INVALID, _("Templat tidak dikenal."), status=404)
        rows = selectors.template_rows(kind, move_in=services.move_in_current())
        resp = HttpResponse(
            files.template_xlsx(kind, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f'attachment; filename="pindah-{kind}.xlsx"'
        return resp
