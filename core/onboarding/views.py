"""The "pindah ke Lumbung" wizard (namespace "onboarding"): one page with the steps in
order — cut-over date, opening trial balance, members and savings (the member import),
running loans, reconciliation, go-live / undo — and the per-row error report of the
last upload. Admin and bendahara only."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from core.common.permissions import TREASURY, role_required

from . import files, selectors, services
from .api import MAX_UPLOAD
from .loans_import import loans_import


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


def _upload_rows(request, kind: str) -> list[dict]:
    f = request.FILES.get("file")
    if f is None:
        raise ApplicationError("onboarding_file_invalid", _("Pilih berkas XLSX atau CSV."))
    if f.size > MAX_UPLOAD:
        raise ApplicationError(
            "onboarding_file_invalid", _("Berkas terlalu besar (maksimal 10 MB).")
        )
    return files.rows_from_file(content=f.read(), file_name=f.name, kind=kind)


@role_required(read=TREASURY, write=TREASURY)
def wizard(request):
    mi = services.move_in_current()
    errors: list = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "start":
                services.move_in_start(
                    cutover_date=date.fromisoformat(request.POST.get("cutover_date", "")),
                    by=request.user,
                )
                messages.success(request, _("Tanggal pindah disimpan."))
            elif mi is None:
                raise ApplicationError("onboarding_no_move_in", _("Tentukan dulu tanggal pindah."))
            elif action == "trial_balance":
                mappings, creations = _parse_mapping(request.POST.get("mapping", ""))
                entry = services.trial_balance_post(
                    move_in=mi,
                    rows=_upload_rows(request, "trial_balance"),
                    mappings=mappings,
                    creations=creations,
                    by=request.user,
                )
                messages.success(request, _("Neraca saldo awal diposting: %(e)s.") % {"e": entry})
            elif action == "loans":
                loans = loans_import(
                    move_in=mi, rows=_upload_rows(request, "loans"), by=request.user
                )
                messages.success(request, _("%(n)s pinjaman berjalan dibawa.") % {"n": len(loans)})
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
                services.move_in_undo(
                    move_in=mi, reason=request.POST.get("reason", ""), by=request.user
                )
                messages.success(request, _("Pindah ke Lumbung dibatalkan."))
            else:
                raise ApplicationError("onboarding_wrong_state", _("Langkah tidak dikenal."))
            return redirect("onboarding:wizard")
        except ValueError:
            messages.error(request, _("Tanggal tidak valid."))
        except ApplicationError as e:
            messages.error(request, e.message)
            fields = e.fields or {}
            errors = list(fields.get("rows", [])) + [
                {
                    "row": "",
                    "field": f"{d['account']} {d['name']}",
                    "message": _("%(w)s: selisih %(x)s") % {"w": d["what"], "x": d["difference"]},
                }
                for d in fields.get("differences", [])
            ]
        mi = services.move_in_current()
    return render(
        request,
        "onboarding/wizard.html",
        {
            "mi": mi,
            "errors": errors,
            "rec": selectors.move_in_reconciliation(move_in=mi) if mi else None,
            "undo_possible": bool(mi) and services.real_postings_after(mi) == 0,
        },
    )


@role_required(read=TREASURY, write=TREASURY)
def template(request, kind: str):
    if kind not in files.TEMPLATES:
        return HttpResponse(status=404)
    resp = HttpResponse(
        files.template_xlsx(kind),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="pindah-{kind}.xlsx"'
    return resp
