"""The "pindah ke Lumbung" wizard (namespace "onboarding"): one page with the steps in
order — cut-over date, opening trial balance, members and savings (the member import),
running loans, reconciliation, go-live / undo — and the per-row error report of the
last upload. Admin and bendahara only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.money import RupiahError, format_rupiah, parse_rupiah
from core.common.permissions import TREASURY, role_required
from core.ledger.models import Account
from core.onboarding.common import UNDO_REASON_MAX, OnboardingErrors
from core.savings.member_import import berjangka_import_columns

from . import capital, contributions, files, selectors, services
from .api import MAX_UPLOAD
from .capital import capital_balances_check_open
from .contributions import shu_contributions_check_open
from .loans_import import loans_check_open, loans_import, loans_preview
from .models import MoveIn
from .preview import (
    PreviewConfirmed,
    upload_preview_confirm,
    upload_preview_hold,
    upload_preview_keep_rows,
    upload_preview_kept_file,
    upload_preview_kept_reference,
    upload_preview_sign,
)


def _upload_file(request) -> tuple[bytes, str]:
    """The uploaded file's bytes and name (at most ``MAX_UPLOAD``)."""
    f = request.FILES.get("file")
    if f is None:
        raise ApplicationError(OnboardingErrors.FILE_INVALID, _("Pilih berkas XLSX atau CSV."))
    if f.size > MAX_UPLOAD:
        raise ApplicationError(
            OnboardingErrors.FILE_INVALID, _("Berkas terlalu besar (maksimal 10 MB).")
        )
    return f.read(), f.name


def _hidden_note(hidden: list[int]) -> str:
    """What a success message adds when checked hidden rows were brought in."""
    if not hidden:
        return ""
    return " " + _("(termasuk %(n)s baris tersembunyi (baris %(rows)s))") % {
        "n": len(hidden),
        "rows": ", ".join(str(n) for n in hidden),
    }


def _grid_accounts() -> list[Account]:
    """The accounts of the trial-balance grid: every active detail account."""
    return list(Account.objects.filter(is_group=False, is_active=True).order_by("code"))


def _grid(request, accounts: list[Account]) -> tuple[list[dict], list[dict], dict]:
    """The grid as typed (``debit_<code>``/``credit_<code>``): the rows for the same
    service as the upload (numbered by their place in the grid), the values to show
    again, and the totals of what parses (the service says what does not)."""
    rows, shown = [], []
    total = {"debit": Decimal("0"), "credit": Decimal("0")}
    for n, acc in enumerate(accounts, start=1):
        values = {side: request.POST.get(f"{side}_{acc.code}", "").strip() for side in total}
        shown.append({"account": acc, **values})
        if values["debit"] or values["credit"]:
            rows.append({"row": n, "account": acc.code, **values})
            for side, value in values.items():
                # a bad amount is left out of the total; the service reports it per row
                with contextlib.suppress(RupiahError):
                    total[side] += parse_rupiah(value, allow_dash_zero=True) if value else 0
    total["difference"] = abs(total["debit"] - total["credit"])
    return rows, shown, total


@role_required(read=TREASURY, write=TREASURY)
def wizard(request):
    mi = services.move_in_current()
    errors: list = []
    accounts = _grid_accounts()
    grid, grid_total, grid_open = [{"account": a} for a in accounts], None, False
    # the reference *Hitung total dan pratinjau* gave the grid, posted back by its confirm
    grid_token = ""
    # the files held for the upload forms, by step (``_upload_preview``): sent back with
    # the form, so that a changed mapping or tick is previewed without choosing it again
    held: dict[str, dict] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "start":
                services.move_in_start(
                    cutover_date=date.fromisoformat(request.POST.get("cutover_date", "")),
                    by=request.user,
                )
                messages.success(request, _("Tanggal pindah disimpan."))
            elif action in UPLOADS:
                # a step's file is shown first (*Unggah dan pratinjau*), with a note that
                # nothing is written yet; only the confirm writes
                return _upload_preview(request, _posted_move_in(request, mi), action, held)
            elif action in CONFIRMS:
                _upload_confirm(request, CONFIRMS[action])
            elif mi is None:
                raise ApplicationError(
                    OnboardingErrors.NO_MOVE_IN, _("Tentukan dulu tanggal pindah.")
                )
            elif action in ("trial_balance_grid", "trial_balance_grid_total"):
                rows, grid, grid_total = _grid(request, accounts)
                grid_open = True
                token = request.POST.get("token", "")
                if action == "trial_balance_grid_total" or not token:
                    # *Hitung total dan pratinjau*, or a confirm of figures nobody has
                    # seen totalled yet (a page of before the preview): shown with their
                    # totals and lines and a confirm, nothing posted (two steps)
                    return _grid_preview(request, mi, rows, grid, grid_total, accounts)
                grid_token = token
                # the confirm: the figures shown (kept with the reference) are posted,
                # a grid typed over since is refused
                _upload_confirm(request, "trial_balance", rows=rows)
            elif action == "adjust":
                services.move_in_adjust(
                    move_in=mi,
                    account=request.POST.get("account", ""),
                    amount=request.POST.get("amount", "") or None,
                    offset_account=request.POST.get("offset_account", ""),
                    explanation=request.POST.get("explanation", ""),
                    document=request.FILES.get("document"),
                    by=request.user,
                )
                messages.success(request, _("Penyesuaian diposting."))
            elif action == "go_live":
                services.move_in_go_live(move_in=mi, by=request.user)
                messages.success(
                    request, _("Pindah ke Lumbung selesai; periode sampai tanggal pindah ditutup.")
                )
            elif action == "undo":
                reason_field = forms.CharField(max_length=UNDO_REASON_MAX, required=False)
                services.move_in_undo(
                    move_in=mi,
                    reason=reason_field.clean(request.POST.get("reason", "")),
                    by=request.user,
                )
                messages.success(request, _("Pindah ke Lumbung dibatalkan."))
            else:
                raise ApplicationError(OnboardingErrors.WRONG_STATE, _("Langkah tidak dikenal."))
            return redirect("onboarding:wizard")
        except forms.ValidationError as e:  # the undo's reason
            messages.error(request, _("Alasan pembatalan: %(e)s") % {"e": " ".join(e.messages)})
        except ValueError:
            messages.error(request, _("Tanggal tidak valid."))
        except ApplicationError as e:
            messages.error(request, e.message)
            fields = e.fields or {}
            rows_errors = list(fields.get("rows", []))
            if grid_open:
                rows_errors = [_grid_error(e, accounts) for e in rows_errors]
            else:  # an upload
                rows_errors = [_file_error(e) for e in rows_errors]
            errors = rows_errors + [
                {
                    "row": "",
                    "field": f"{d['account']} {d['name']}",
                    "message": _("%(w)s: selisih %(x)s") % {"w": d["what"], "x": d["difference"]},
                }
                for d in fields.get("differences", [])
            ]
        mi = services.move_in_current()
    grid_preview = {"token": grid_token} if grid_token else None
    return _wizard_page(
        request, mi, errors, grid, grid_total, grid_open, grid_preview=grid_preview, held=held
    )


def _posted_move_in(request, current: MoveIn | None) -> MoveIn:
    """The move-in the form was shown for (its id is posted), so that a move-in undone
    meanwhile is refused as such, and one started since is not written to by a page of
    the earlier one."""
    pk = request.POST.get("move_in", "")
    posted = MoveIn.objects.filter(pk=int(pk)).first() if pk.isascii() and pk.isdigit() else None
    mi = posted or current
    if mi is None:
        raise ApplicationError(OnboardingErrors.NO_MOVE_IN, _("Tentukan dulu tanggal pindah."))
    return mi


def _trial_balance_confirm(*, reference: str, by, content, rows, options) -> PreviewConfirmed[str]:
    done = services.trial_balance_preview_post(
        reference=reference, by=by, rows=rows, content=content, options=options
    )
    return replace(done, saved=_("Neraca saldo awal diposting: %(e)s.") % {"e": done.saved})


def _loans_save(mi: MoveIn, rows: list[dict], by) -> str:
    loans = loans_import(move_in=mi, rows=rows, by=by)
    return _("%(n)s pinjaman berjalan dibawa.") % {"n": len(loans)}


def _jasa_save(mi: MoveIn, rows: list[dict], by) -> str:
    saved = contributions.shu_contributions_post(move_in=mi, rows=rows, by=by)
    return _("Jasa pinjaman %(y)s dari pembukuan lama disimpan: %(n)s anggota, total %(t)s.") % {
        "y": saved["year"],
        "n": saved["members"],
        "t": format_rupiah(saved["total"]),
    }


def _capital_save(mi: MoveIn, rows: list[dict], by) -> str:
    saved = capital.capital_balances_post(move_in=mi, rows=rows, by=by)
    text = _(
        "Saldo modal akhir bulan %(y)s dari pembukuan lama disimpan: %(n)s anggota, "
        "%(r)s saldo akhir bulan."
    ) % {"y": saved["year"], "n": saved["members"], "r": saved["rows"]}
    if saved["skipped"]:
        text += " " + _("%(s)s baris tanpa angka dilewati (bulannya diperkirakan).") % {
            "s": saved["skipped"]
        }
    return text


def _confirm_saving(kind: str, save: Callable[[MoveIn, list[dict], object], str]):
    """The confirm of a step whose service saves the kept rows as they are (``save(move_in,
    rows, by)``; the kept options, hidden rows checked, only said how to read the file)."""

    def confirm(*, reference: str, by, content, rows, options) -> PreviewConfirmed[str]:
        return upload_preview_confirm(
            reference=reference,
            kind=kind,
            by=by,
            content=content,
            options=options,
            save=lambda mi, kept_rows, _options: save(mi, kept_rows, by),
        )

    return confirm


@dataclass(frozen=True)
class Upload:
    """A step of the move-in taking a file, in two steps on the screen
    (``_upload_preview``, ``_upload_confirm``): *Unggah dan pratinjau* checks the file
    and shows what
    it would write shown with a confirm button, nothing of the step written, the file
    kept (``core.onboarding.preview``); only the confirm, sending the kept preview's
    reference back, writes it. Step 2's grid goes through the same preview and confirm
    (``_grid_preview``)."""

    check_open: Callable[[MoveIn], None]  # refuse before the file is read
    # (move_in, rows, by, options) -> what it would write; row errors refused (raised)
    preview: Callable[..., dict]
    # (reference=, by=, content=, rows=, options=) -> the saved's success message, rows,
    # hidden rows
    confirm: Callable[..., PreviewConfirmed[str]]
    # what the preview says: nothing written yet, press the confirm button (named)
    unsaved: Callable[[], str]
    # the form's fields kept with the file for the confirm (the trial balance's mapping,
    # parsed: its canonical form is under the reference's signature); {} when the form
    # has none. A confirm sending them again must send the kept ones.
    options: Callable[..., dict] = lambda request: {}


def _unsaved(button: str) -> Callable[[], str]:
    return lambda: (
        _("Belum disimpan: periksa total dan baris di bawah, lalu tekan %(b)s.") % {"b": _(button)}
    )


def _trial_balance_shown(mi, rows, by, options) -> dict:
    mappings, creations = services.trial_balance_options_maps(options)
    return services.trial_balance_preview(
        move_in=mi, rows=rows, mappings=mappings, creations=creations, by=by
    )


def _trial_balance_mapping(request) -> dict:
    """The upload form's mapping of unknown accounts, parsed (``mappings``,
    ``creations``), or {} when the form sends none (the confirm's form)."""
    if "mapping" not in request.POST:
        return {}
    mappings, creations = services.trial_balance_mapping_parse(request.POST["mapping"])
    return {"mappings": mappings, "creations": creations}


UPLOADS = {
    "trial_balance": Upload(
        services.trial_balance_check_open,
        _trial_balance_shown,
        _trial_balance_confirm,
        lambda: _(
            "Belum diposting: periksa total dan baris di bawah, lalu tekan Posting "
            "neraca saldo awal ini."
        ),
        _trial_balance_mapping,
    ),
    "loans": Upload(
        loans_check_open,
        lambda mi, rows, by, options: loans_preview(move_in=mi, rows=rows, by=by),
        _confirm_saving("loans", _loans_save),
        _unsaved(gettext_noop("Simpan pinjaman berjalan ini")),
    ),
    "shu_contributions": Upload(
        shu_contributions_check_open,
        lambda mi, rows, by, options: contributions.shu_contributions_preview(
            move_in=mi, rows=rows, by=by
        ),
        _confirm_saving("shu_contributions", _jasa_save),
        _unsaved(gettext_noop("Simpan daftar jasa ini")),
    ),
    "capital_balances": Upload(
        capital_balances_check_open,
        lambda mi, rows, by, options: capital.capital_balances_preview(
            move_in=mi, rows=rows, by=by
        ),
        _confirm_saving("capital_balances", _capital_save),
        _unsaved(gettext_noop("Simpan saldo akhir bulan ini")),
    ),
}
CONFIRMS = {f"{kind}_confirm": kind for kind in UPLOADS}


@dataclass(frozen=True)
class _Read:
    """An uploaded file as read: its bytes and name, its rows, the hidden rows brought in
    (when checked), the CSV encoding, the rows left out as no data (``files.FileRows``)."""

    content: bytes
    name: str
    rows: list[dict]
    hidden: list[int]
    encoding: str
    hidden_ok: bool
    left_out: list[dict]
    ignored_columns: list[dict]

    @property
    def note(self) -> str:
        """What a preview or a success message adds: hidden rows, the encoding."""
        return _hidden_note(self.hidden) + files.encoding_note(self.encoding, self.rows)


def _upload_read(request, mi: MoveIn, kind: str, held: dict[str, dict]) -> tuple[_Read, object]:
    """The step's file — the one chosen, else the one the form holds (``kept``: the
    file of the page's last preview or refusal, so that a changed mapping or tick needs
    no file chosen again) — held (``upload_preview_hold``; ``held`` gets its reference
    and name for the page, whether the file is then refused or previewed), and read.
    Returns the read file and the held row."""
    step_kept = request.POST.get("kept", "")
    if request.FILES.get("file") is not None or not step_kept:
        content, name = _upload_file(request)
        kept = upload_preview_hold(
            move_in=mi, kind=kind, content=content, file_name=name, by=request.user
        )
        if step_kept:  # a new file chosen: the one held before is not needed any more
            with contextlib.suppress(ApplicationError):
                replaced = upload_preview_kept_file(reference=step_kept, kind=kind, by=request.user)
                if replaced.pk != kept.pk:
                    replaced.delete()
    else:
        kept = upload_preview_kept_file(reference=step_kept, kind=kind, by=request.user)
        if kept.move_in_id != mi.pk:
            raise ApplicationError(
                OnboardingErrors.PREVIEW_INVALID,
                _("Berkas yang diunggah tidak dikenal; pilih berkasnya lagi."),
            )
        content, name = bytes(kept.content), kept.file_name
    held[kind] = {"reference": upload_preview_kept_reference(kept), "file_name": name}
    hidden_ok = bool(request.POST.get("hidden_rows_ok"))
    read = files.file_checked_for_hidden(
        content=content, file_name=name, kind=kind, hidden_rows_ok=hidden_ok
    )
    shown = _Read(
        content,
        name,
        read.rows,
        read.hidden,
        read.encoding,
        hidden_ok,
        read.left_out,
        read.ignored_columns,
    )
    return shown, kept


def _preview(request, mi: MoveIn, kind: str, rows: list[dict], *, options: dict, keep) -> dict:
    """The preview of a step, an uploaded file's or step 2's grid alike: what the step's
    service would write for ``rows`` (each line, the totals), nothing of the step
    written, with the reference of what ``keep()`` kept (the file, the grid's rows) for
    the confirm (``_upload_confirm``, which writes exactly that). Row errors, an
    unbalanced or empty trial balance, or a step no longer open are refused as the save
    would refuse them (raised: the page lists them; nothing kept, no confirm). The page
    says that nothing is written yet, naming the confirm button (``Upload.unsaved``)."""
    step = UPLOADS[kind]
    shown = step.preview(mi, rows, request.user, options)
    shown["token"] = keep()
    messages.info(request, step.unsaved())
    return shown


def _upload_preview(request, mi: MoveIn, kind: str, held: dict[str, dict]):
    """A step's file (*Unggah dan pratinjau*): read, checked and shown as it would be
    written, kept for the confirm; nothing of the step written (``_preview``). The file
    is held first (``_upload_read``), so the page that answers — the preview, or the
    refusal with its row errors — offers it again in the upload form."""
    step = UPLOADS[kind]
    step.check_open(mi)  # before reading the file: a closed step says so
    read, kept = _upload_read(request, mi, kind, held)
    options = step.options(request)

    def keep() -> str:
        return upload_preview_sign(kept=kept, options={"hidden_rows_ok": read.hidden_ok, **options})

    try:
        shown = _preview(request, mi, kind, read.rows, options=options, keep=keep)
    except ApplicationError:
        # the row errors' page says too which columns were not read (*Angsuran dibayar
        # wajib diisi* while the file has *Angsuran Ke*)
        note = files.ignored_columns_note(read.ignored_columns)
        if note:
            messages.warning(request, note)
        raise
    shown["file_name"] = read.name
    shown["ignored_columns"] = read.ignored_columns
    shown["note"] = read.note.strip()
    shown["left_out"] = read.left_out
    return _wizard_page(request, mi, [], *_blank_grid(), previews={kind: shown}, held=held)


def _upload_confirm(request, kind: str, *, rows: list[dict] | None = None) -> None:
    """A preview's confirm button (*Posting neraca saldo awal ini*, *Simpan pinjaman
    berjalan ini*, *Simpan daftar jasa ini*, *Simpan saldo akhir bulan ini*): the preview
    the form's reference names is written, the kept file (read again, checked again by
    the step's service as an upload) or the grid's kept rows, then forgotten. A file or
    a mapping sent with the confirm must be the previewed one, and the grid's form sends
    the grid again (``rows``), which must be the figures previewed: else refused,
    nothing written."""
    sent = _upload_file(request)[0] if request.FILES.get("file") else None
    step = UPLOADS[kind]
    done = step.confirm(
        reference=request.POST.get("token", ""),
        by=request.user,
        content=sent,
        rows=rows,
        options=step.options(request) or None,
    )
    messages.success(
        request,
        done.saved + _hidden_note(done.hidden) + files.encoding_note(done.encoding, done.rows),
    )


def _grid_preview(request, mi: MoveIn, rows, grid, grid_total, accounts):
    """*Hitung total dan pratinjau* (or a confirm of a grid not checked yet): the grid
    shown again with its totals, and the trial balance's preview (``_preview``, as for a
    file): the rows kept as data (``upload_preview_keep_rows``), the grid's form carrying
    the reference and the confirm button; a grid typed over since is refused at the
    confirm. Row errors are refused by the preview, each naming its account (the
    wizard's ``_grid_error``), the grid kept as typed."""
    shown = _preview(
        request,
        mi,
        "trial_balance",
        rows,
        options={},
        keep=lambda: upload_preview_keep_rows(
            move_in=mi, kind="trial_balance", rows=rows, options={}, by=request.user
        ),
    )
    return _wizard_page(request, mi, [], grid, grid_total, True, grid_preview=shown)


def _file_error(error: dict) -> dict:
    """A row error of a file names the column as the file titles it ("sisa pokok")."""
    return {**error, "field": files.COLUMN_TITLES.get(error.get("field"), error.get("field"))}


def _blank_grid() -> tuple[list[dict], None, bool]:
    return [{"account": a} for a in _grid_accounts()], None, False


def _grid_error(error: dict, accounts: list[Account]) -> dict:
    """A row error of the grid names the account (its place in the grid is no help)."""
    n = error.get("row")
    if isinstance(n, int) and 1 <= n <= len(accounts):
        acc = accounts[n - 1]
        return {**error, "row": "", "field": f"{acc.code} {acc.name} ({error.get('field')})"}
    return error


# the fields a form of the page may have typed in, given back as sent (``_typed``)
TYPED_FIELDS = (
    "mapping",
    "cutover_date",
    "account",
    "amount",
    "offset_account",
    "explanation",
    "reason",
)


def _typed(request) -> dict[str, dict]:
    """What the form just posted held, under its step (its ``action``; a confirm's under
    its step's), for the page that answers it to show again: the trial balance's mapping
    and the hidden-rows tick after a row error or with the preview (the upload form there
    is the way to change them and preview again), the cut-over date, the adjustment's
    fields, the undo's reason. Only shown, never read back: a preview's confirm posts
    what was kept with its reference."""
    if request.method != "POST":
        return {}
    step = request.POST.get("action", "").removesuffix("_confirm")
    return {
        step: {
            "hidden_rows_ok": bool(request.POST.get("hidden_rows_ok")),
            **{name: request.POST.get(name, "") for name in TYPED_FIELDS},
        }
    }


def _wizard_page(
    request, mi, errors, grid, grid_total, grid_open, previews=None, grid_preview=None, held=None
):
    previews = previews or {}
    rec = selectors.move_in_reconciliation(move_in=mi) if mi else None
    return render(
        request,
        "onboarding/wizard.html",
        {
            "mi": mi,
            "typed": _typed(request),
            "errors": errors,
            "grid": grid,
            "grid_total": grid_total,
            "grid_open": grid_open,
            "grid_preview": grid_preview,
            "rec": rec,
            # the reconciliation's dates are ISO (the API's); the page says them in words
            "cutover_shown": format_tanggal(mi.cutover_date) if mi else "",
            "off_cutover_shown": [
                (b["file_name"], format_tanggal(date.fromisoformat(b["opening_date"])))
                for b in (rec["member_imports_off_cutover"] if rec else [])
            ],
            "undo_possible": bool(mi) and services.undo_blocking_postings(mi) == 0,
            # everything the go-live would refuse, said before the click, each with what
            # to do and where (no button then, as the month close's confirmation)
            "go_live_refusals": (
                services.move_in_go_live_refusals(move_in=mi)
                if mi and mi.status == MoveIn.Status.DRAFT
                else []
            ),
            "berjangka": berjangka_import_columns(),
            "jasa": selectors.move_in_shu_contributions(move_in=mi) if mi else None,
            "capital": selectors.move_in_capital_balances(move_in=mi) if mi else None,
            "tb_preview": previews.get("trial_balance"),
            "loans_preview": previews.get("loans"),
            "jasa_preview": previews.get("shu_contributions"),
            "capital_preview": previews.get("capital_balances"),
            # per step, the file its upload form holds: {reference, file_name}
            "held": held or {},
        },
    )


@role_required(read=TREASURY, write=TREASURY)
def template(request, kind: str):
    if kind not in files.TEMPLATES:
        return HttpResponse(status=404)
    rows = selectors.template_rows(kind, move_in=services.move_in_current())
    resp = HttpResponse(
        files.template_xlsx(kind, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="pindah-{kind}.xlsx"'
    return resp
