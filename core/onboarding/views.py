"""The "pindah ke Lumbung" wizard (namespace "onboarding"): one page with the steps in
order — cut-over date, opening trial balance, members and savings (the member import),
running loans, reconciliation, go-live / undo — and the per-row error report of the
last upload. Admin and bendahara only."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

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
from .loans_import import loans_import
from .models import MoveIn
from .preview import preview_token, preview_token_read


def _parse_mapping(text: str) -> tuple[dict, dict]:
    """Lines ``teks = kode`` (map to an existing account) or ``teks = kode; nama; induk``
    (create a new account under the parent)."""
    mappings, creations = {}, {}
    for line in (text or "").splitlines():
        if "=" not in line:
            continue
        key, value = (p.strip() for p in line.split("=", 1))
        parts = [p.strip() for p in value.split(";")]
        if len(parts) >= 3:
            creations[key] = {"code": parts[0], "name": parts[1], "parent": parts[2]}
        elif value:
            mappings[key] = value
    return mappings, creations


def _upload_rows(request, kind: str) -> tuple[list[dict], list[int], str]:
    """The uploaded file's rows, its hidden rows (refused until the treasurer ticks that
    they were checked) and its encoding (``files.encoding_note``)."""
    f = request.FILES.get("file")
    if f is None:
        raise ApplicationError(OnboardingErrors.FILE_INVALID, _("Pilih berkas XLSX atau CSV."))
    if f.size > MAX_UPLOAD:
        raise ApplicationError(
            OnboardingErrors.FILE_INVALID, _("Berkas terlalu besar (maksimal 10 MB).")
        )
    return files.rows_checked_for_hidden(
        content=f.read(),
        file_name=f.name,
        kind=kind,
        hidden_rows_ok=bool(request.POST.get("hidden_rows_ok")),
    )


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
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "start":
                services.move_in_start(
                    cutover_date=date.fromisoformat(request.POST.get("cutover_date", "")),
                    by=request.user,
                )
                messages.success(request, _("Tanggal pindah disimpan."))
            elif action in UPLOAD_PREVIEWS:
                posted = _posted_move_in(request, mi)
                if request.POST.get("mode") == "preview":
                    return _upload_preview(request, posted, action)
                _upload_save(request, posted, action)
            elif action in CONFIRMS:
                _upload_confirm(request, mi, CONFIRMS[action])
            elif mi is None:
                raise ApplicationError(
                    OnboardingErrors.NO_MOVE_IN, _("Tentukan dulu tanggal pindah.")
                )
            elif action == "trial_balance":
                mappings, creations = _parse_mapping(request.POST.get("mapping", ""))
                rows, hidden, encoding = _upload_rows(request, "trial_balance")
                entry = services.trial_balance_post(
                    move_in=mi,
                    rows=rows,
                    mappings=mappings,
                    creations=creations,
                    by=request.user,
                )
                messages.success(
                    request,
                    _("Neraca saldo awal diposting: %(e)s.") % {"e": entry}
                    + _hidden_note(hidden)
                    + files.encoding_note(encoding, rows),
                )
            elif action in ("trial_balance_grid", "trial_balance_grid_total"):
                rows, grid, grid_total = _grid(request, accounts)
                grid_open = True
                if action == "trial_balance_grid_total":
                    # totals only: nothing is written
                    _lines, check = services.trial_balance_check(rows=rows)
                    errors = [_grid_error(e, accounts) for e in check]
                    return _wizard_page(request, mi, errors, grid, grid_total, grid_open)
                entry = services.trial_balance_post(move_in=mi, rows=rows, by=request.user)
                messages.success(request, _("Neraca saldo awal diposting: %(e)s.") % {"e": entry})
            elif action == "loans":
                rows, hidden, encoding = _upload_rows(request, "loans")
                loans = loans_import(move_in=mi, rows=rows, by=request.user)
                messages.success(
                    request,
                    _("%(n)s pinjaman berjalan dibawa.") % {"n": len(loans)}
                    + _hidden_note(hidden)
                    + files.encoding_note(encoding, rows),
                )
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
            else:  # an upload: the column as the file titles it ("sisa pokok")
                rows_errors = [
                    {**e, "field": files.COLUMN_TITLES.get(e.get("field"), e.get("field"))}
                    for e in rows_errors
                ]
            errors = rows_errors + [
                {
                    "row": "",
                    "field": f"{d['account']} {d['name']}",
                    "message": _("%(w)s: selisih %(x)s") % {"w": d["what"], "x": d["difference"]},
                }
                for d in fields.get("differences", [])
            ]
        mi = services.move_in_current()
    return _wizard_page(request, mi, errors, grid, grid_total, grid_open)


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


# the optional steps of the old books' figures: 4a (jasa paid) and 4b (capital month-ends).
# Each upload is saved at once, or previewed first (``mode=preview``: nothing written, the
# checked rows kept in a signed token that *Simpan* sends back).
UPLOAD_PREVIEWS = {
    "shu_contributions": (
        shu_contributions_check_open,
        contributions.shu_contributions_preview,
        contributions.shu_contributions_post,
        contributions.preview_token_rows,
    ),
    "capital_balances": (
        capital_balances_check_open,
        capital.capital_balances_preview,
        capital.capital_balances_post,
        capital.preview_token_rows,
    ),
}
CONFIRMS = {f"{kind}_confirm": kind for kind in UPLOAD_PREVIEWS}


def _saved_message(kind: str, saved: dict) -> str:
    if kind == "shu_contributions":
        return _(
            "Jasa pinjaman %(y)s dari pembukuan lama disimpan: %(n)s anggota, total %(t)s."
        ) % {
            "y": saved["year"],
            "n": saved["members"],
            "t": format_rupiah(saved["total"]),
        }
    text = _(
        "Saldo modal akhir bulan %(y)s dari pembukuan lama disimpan: %(n)s anggota, "
        "%(r)s saldo akhir bulan."
    ) % {"y": saved["year"], "n": saved["members"], "r": saved["rows"]}
    if saved["skipped"]:
        text += " " + _("%(s)s baris tanpa angka dilewati (bulannya diperkirakan).") % {
            "s": saved["skipped"]
        }
    return text


def _upload_save(request, mi: MoveIn, kind: str) -> None:
    """Step 4a or 4b from the uploaded file, replacing what was saved; all rows or none."""
    check_open, _preview, post, _token_rows = UPLOAD_PREVIEWS[kind]
    check_open(mi)  # before reading the file: a closed year says so
    rows, hidden, encoding = _upload_rows(request, kind)
    saved = post(move_in=mi, rows=rows, by=request.user)
    messages.success(
        request,
        _saved_message(kind, saved) + _hidden_note(hidden) + files.encoding_note(encoding, rows),
    )


def _upload_preview(request, mi: MoveIn, kind: str):
    """The file checked and what it would save shown on the page; nothing written."""
    check_open, preview, _post, token_rows = UPLOAD_PREVIEWS[kind]
    check_open(mi)
    rows, hidden, encoding = _upload_rows(request, kind)
    shown = preview(move_in=mi, rows=rows, by=request.user)
    shown["token"] = preview_token(
        kind=kind, move_in_id=mi.pk, rows=token_rows(shown), skipped=shown.get("skipped", 0)
    )
    shown["note"] = _hidden_note(hidden).strip() + files.encoding_note(encoding, rows)
    return _wizard_page(request, mi, [], *_blank_grid(), previews={kind: shown})


def _upload_confirm(request, current: MoveIn | None, kind: str) -> None:
    """Save the rows a preview showed (its token), checked again by the service."""
    move_in_id, rows, skipped = preview_token_read(token=request.POST.get("token", ""), kind=kind)
    mi = MoveIn.objects.filter(pk=move_in_id).first() or current
    if mi is None:
        raise ApplicationError(OnboardingErrors.NO_MOVE_IN, _("Tentukan dulu tanggal pindah."))
    _check_open, _preview, post, _token_rows = UPLOAD_PREVIEWS[kind]
    extra = {"skipped": skipped} if kind == "capital_balances" else {}
    saved = post(move_in=mi, rows=rows, by=request.user, **extra)
    messages.success(request, _saved_message(kind, saved))


def _blank_grid() -> tuple[list[dict], None, bool]:
    return [{"account": a} for a in _grid_accounts()], None, False


def _grid_error(error: dict, accounts: list[Account]) -> dict:
    """A row error of the grid names the account (its place in the grid is no help)."""
    n = error.get("row")
    if isinstance(n, int) and 1 <= n <= len(accounts):
        acc = accounts[n - 1]
        return {**error, "row": "", "field": f"{acc.code} {acc.name} ({error.get('field')})"}
    return error


def _wizard_page(request, mi, errors, grid, grid_total, grid_open, previews=None):
    previews = previews or {}
    return render(
        request,
        "onboarding/wizard.html",
        {
            "mi": mi,
            "errors": errors,
            "grid": grid,
            "grid_total": grid_total,
            "grid_open": grid_open,
            "rec": selectors.move_in_reconciliation(move_in=mi) if mi else None,
            "undo_possible": bool(mi) and services.real_postings_after(mi) == 0,
            "berjangka": berjangka_import_columns(),
            "jasa": selectors.move_in_shu_contributions(move_in=mi) if mi else None,
            "capital": selectors.move_in_capital_balances(move_in=mi) if mi else None,
            "jasa_preview": previews.get("shu_contributions"),
            "capital_preview": previews.get("capital_balances"),
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
