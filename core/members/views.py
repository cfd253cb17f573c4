"""HTML screens of the member registry (staff)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from core.common.permissions import MONEY_WRITERS, SETTINGS_ADMINS, STAFF, TREASURY, role_required

from . import importer, selectors, services
from .forms import AgencyForm, HeirForm, ImportConfirmForm, ImportUploadForm, MemberForm
from .models import Agency, Member, MemberImport


def form_error(form, exc: ApplicationError) -> None:
    """Show a service error on the form: field errors where the field exists."""
    placed = False
    for field, msgs in (exc.fields or {}).items():
        if field in form.fields and isinstance(msgs, list | tuple):
            for m in msgs:
                form.add_error(field, str(m))
            placed = True
    form.add_error(None, str(exc.message) if not placed else str(exc.message))


@role_required(read=STAFF, write=MONEY_WRITERS)
def member_list(request):
    q = request.GET.get("q", "")
    agency_id = request.GET.get("agency") or None
    status = request.GET.get("status", "")
    qs = selectors.member_search(
        q=q, agency_id=int(agency_id) if agency_id and agency_id.isdigit() else None, status=status
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "members/member_list.html",
        {
            "page": page,
            "q": q,
            "agency_id": agency_id,
            "status": status,
            "agencies": selectors.agency_list(),
            "statuses": Member.Status.choices,
        },
    )


@role_required(read=STAFF, write=MONEY_WRITERS)
def member_create(request):
    form = MemberForm(request.POST or None, initial={"join_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(by=request.user, **form.cleaned_data)
        except ApplicationError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Anggota %(m)s terdaftar.") % {"m": member})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": None})


@role_required(read=STAFF, write=MONEY_WRITERS)
def member_edit(request, pk: int):
    member = get_object_or_404(Member, pk=pk)
    form = MemberForm(request.POST or None, editing=True, initial=MemberForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            services.member_update(member=member, by=request.user, reason=reason, **data)
        except ApplicationError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Data anggota disimpan."))
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@role_required(read=STAFF, write=MONEY_WRITERS)
def member_detail(request, pk: int):
    from core.savings.selectors import member_savings_summary

    member = get_object_or_404(Member.objects.select_related("agency", "user"), pk=pk)
    if request.method == "POST" and "link_user" in request.POST:
        from core.users.models import User

        if request.user.role not in SETTINGS_ADMINS:
            raise PermissionDenied
        user = User.objects.filter(
            email__iexact=request.POST.get("email", "").strip(), role="anggota"
        ).first()
        try:
            services.member_user_link(member=member, user=user, by=request.user)
        except ApplicationError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Akun login dihubungkan."))
        return redirect("members:detail", pk=member.pk)
    heir_form = HeirForm(request.POST or None)
    if request.method == "POST" and heir_form.is_valid():
        try:
            services.heir_add(member=member, by=request.user, **heir_form.cleaned_data)
        except ApplicationError as e:
            form_error(heir_form, e)
        else:
            messages.success(request, _("Ahli waris ditambahkan."))
            return redirect("members:detail", pk=member.pk)
    accounts = member_savings_summary(member=member)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "accounts": accounts,
            "total": sum((a.balance for a in accounts if a.status == "open"), 0),
            "heirs": member.heirs.all(),
            "changes": member.changes.select_related("changed_by")[:50],
            "heir_form": heir_form,
            "settlement": member.exit_settlements.filter(reversed_at__isnull=True).first()
            if not member.is_active
            else None,
        },
    )


@role_required(read=STAFF, write=MONEY_WRITERS)
def agency_list(request):
    agencies = Agency.objects.all().order_by("name")
    from django.db.models import Count, Q

    agencies = agencies.annotate(active=Count("members", filter=Q(members__status="active")))
    return render(request, "members/agency_list.html", {"agencies": agencies})


@role_required(read=STAFF, write=MONEY_WRITERS)
def agency_edit(request, pk: int | None = None):
    agency = get_object_or_404(Agency, pk=pk) if pk else None
    initial = (
        {
            f: getattr(agency, f)
            for f in (
                "code",
                "name",
                "treasurer_name",
                "treasurer_phone",
                "treasurer_email",
                "address",
                "is_active",
            )
        }
        if agency
        else {"is_active": True}
    )
    form = AgencyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if agency:
                services.agency_update(agency=agency, by=request.user, **form.cleaned_data)
            else:
                services.agency_create(by=request.user, **form.cleaned_data)
        except ApplicationError as e:
            form_error(form, e)
        else:
            messages.success(request, _("Instansi disimpan."))
            return redirect("members:agencies")
    return render(request, "members/agency_form.html", {"form": form, "agency": agency})


@role_required(read=STAFF, write=TREASURY | {"petugas"})
def member_import(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            batch = importer.member_import_upload(
                content=f.read(), file_name=f.name, by=request.user
            )
        except ApplicationError as e:
            form_error(form, e)
        else:
            return redirect("members:import_detail", pk=batch.pk)
    recent = MemberImport.objects.defer("content")[:10]
    return render(request, "members/import.html", {"form": form, "recent": recent})


@role_required(read=STAFF, write=TREASURY | {"petugas"})
def member_import_detail(request, pk: int):
    batch = get_object_or_404(MemberImport, pk=pk)
    form = ImportConfirmForm(request.POST or None, initial={"opening_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            importer.member_import_run(
                batch=batch, opening_date=form.cleaned_data["opening_date"], by=request.user
            )
        except ApplicationError as e:
            form_error(form, e)
            batch.refresh_from_db()
        else:
            messages.success(request, _("Impor selesai: %(n)s anggota.") % {"n": batch.row_count})
            return redirect("members:import_detail", pk=batch.pk)
    return render(
        request,
        "members/import_detail.html",
        {"batch": batch, "form": form, "errors": batch.errors[:1000]},
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
