"""Screens of the member import (members with their opening savings balances). They
join the members' namespace (``members:import``…) in the project URLconf: the import
opens savings accounts, so it sits above core.members (docs/architecture.md)."""

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.forms import application_errors_to
from core.common.permissions import STAFF, TREASURY, role_required
from core.members.forms import ImportConfirmForm, ImportUploadForm
from core.members.models import MemberImport

from . import member_import as importer
from .member_import_messages import row_errors_shown


def _proposed_opening_date(request) -> date | None:
    """The opening date a link proposes (``?opening_date=``): the move-in's wizard sends
    its cut-over, which the import's opening balances must carry."""
    try:
        return date.fromisoformat(request.GET.get("opening_date", ""))
    except ValueError:
        return None


@role_required(read=STAFF, write=TREASURY | {"petugas"})
def member_import(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        with application_errors_to(form) as outcome:
            batch = importer.member_import_upload(
                content=f.read(), file_name=f.name, by=request.user
            )
        if outcome.ok:
            url = reverse("members:import_detail", kwargs={"pk": batch.pk})
            proposed = _proposed_opening_date(request)
            return redirect(f"{url}?opening_date={proposed.isoformat()}" if proposed else url)
    recent = MemberImport.objects.defer("content")[:10]
    return render(
        request,
        "members/import.html",
        {
            "form": form,
            "recent": recent,
            "berjangka": importer.berjangka_import_columns(),
            "balances_refused": None
            if importer.may_import_balances(request.user)
            else importer.balances_refusal(),
        },
    )


@role_required(read=STAFF, write=TREASURY | {"petugas"})
def member_import_detail(request, pk: int):
    batch = get_object_or_404(MemberImport, pk=pk)
    form = ImportConfirmForm(
        request.POST or None,
        initial={"opening_date": _proposed_opening_date(request) or timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            importer.member_import_run(
                batch=batch, opening_date=form.cleaned_data["opening_date"], by=request.user
            )
        if not outcome.ok:
            batch.refresh_from_db()
        else:
            messages.success(request, _("Impor selesai: %(n)s anggota.") % {"n": batch.row_count})
            return redirect("members:import_detail", pk=batch.pk)
    balance_columns = importer.import_balance_columns(batch.summary)
    return render(
        request,
        "members/import_detail.html",
        {
            "batch": batch,
            "form": form,
            # each in the reader's language (kept with its code at the upload)
            "errors": row_errors_shown(batch.errors[:1000]),
            "balance_columns": balance_columns,
            # said before confirming: the confirmation would refuse it (member_import_run)
            "balances_refused": importer.balances_refusal()
            if balance_columns and not importer.may_import_balances(request.user)
            else None,
        },
    )


@role_required(read=STAFF)
def import_template(request, fmt: str):
    if fmt == "xlsx":
        resp = HttpResponse(
            importer.import_template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = 'attachment; filename="templat-impor-anggota.xlsx"'
    else:
        resp = HttpResponse(importer.import_template_csv(), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = 'attachment; filename="templat-impor-anggota.csv"'
    return resp
