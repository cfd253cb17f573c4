"""HTML screens of the member registry (staff)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.common.errors import ApplicationError
from core.common.exports import Column, export_format, export_response
from core.common.forms import application_errors_to
from core.common.permissions import MONEY_WRITERS, STAFF, role_required

from . import selectors, services
from .forms import AgencyForm, MemberForm
from .models import Agency, Member
from .validators import id_digits

MEMBER_COLUMNS = [
    Column(gettext_lazy("Nomor"), "number"),
    Column(gettext_lazy("Nama"), "full_name"),
    Column("NIP", "nip"),
    Column("NIK", "nik"),
    Column(gettext_lazy("Jenis kelamin"), lambda m: m.get_gender_display()),
    Column(gettext_lazy("Tanggal lahir"), "birth_date"),
    Column(gettext_lazy("Golongan"), "golongan"),
    Column(gettext_lazy("Jabatan"), "position"),
    Column(gettext_lazy("Instansi"), "agency.name"),
    Column(gettext_lazy("Tanggal masuk"), "join_date"),
    Column(gettext_lazy("Status"), lambda m: m.get_status_display()),
    Column(gettext_lazy("Tanggal keluar"), "exit_date"),
    Column(gettext_lazy("Telepon"), "phone"),
    Column(gettext_lazy("E-mail"), "email"),
    Column(gettext_lazy("Gaji bersih"), "take_home_pay", money=True),
]


@role_required(read=STAFF, write=MONEY_WRITERS)
def member_list(request):
    q = request.GET.get("q", "")
    agency_id = request.GET.get("agency") or None
    status = request.GET.get("status", "")
    # ``isascii``: "²" is a digit to ``isdigit`` but not to ``int``
    valid_agency = agency_id and agency_id.isascii() and agency_id.isdigit()
    qs = selectors.member_search(
        q=q, agency_id=int(agency_id) if valid_agency else None, status=status
    )
    if fmt := export_format(request):
        return export_response(
            fmt=fmt,
            filename=f"anggota-{timezone.localdate():%Y%m%d}",
            title=_("Anggota"),
            columns=MEMBER_COLUMNS,
            rows=qs.iterator(chunk_size=500),
        )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    # Each row's status label from one dict: ``get_status_display`` rebuilds a dict of
    # the choices (hashing every lazily translated label) for each row it is called on.
    labels = dict(Member.Status.choices)
    page.object_list = list(page.object_list)
    for m in page.object_list:
        m.status_label = labels.get(m.status, m.status)
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
            "can_write": request.user.role in MONEY_WRITERS,
        },
    )


def _rejoin_state(*, nip: str, nik: str) -> dict:
    """What the registration form says about a NIP/NIK before saving: a former
    member's (``preview``: who they were, what the new membership takes over), refused
    (``refusal``: a current or deceased member's), or nothing (new to the cooperative)."""
    if not (nip or nik):
        return {}
    try:
        previous = services.member_rejoin_check(nip=nip, nik=nik)
    except ApplicationError as e:
        return {"refusal": str(e.message)}
    return {"preview": selectors.rejoin_preview(previous)} if previous is not None else {}


def _typed_in_full(value: str | None, digits: int) -> str:
    """A NIP (18) or NIK (16) once typed in full, as printed or not (its digits); ""
    while it is still being typed."""
    v = id_digits(value)
    return v if len(v) == digits and v.isascii() and v.isdigit() else ""


@require_GET
@role_required(read=MONEY_WRITERS, write=MONEY_WRITERS)
def member_rejoin_status(request):
    """htmx, from the registration form as the clerk types or leaves the NIP/NIK field:
    whether the person was a member before (and what re-joining carries over) or is
    refused. A small fragment; empty until a NIP or NIK is typed in full."""
    state = _rejoin_state(
        nip=_typed_in_full(request.GET.get("nip"), 18),
        nik=_typed_in_full(request.GET.get("nik"), 16),
    )
    return render(request, "members/_rejoin_status.html", state)


@role_required(read=MONEY_WRITERS, write=MONEY_WRITERS)
def member_create(request):
    form = MemberForm(request.POST or None, initial={"join_date": timezone.localdate()})
    state: dict = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # a former member's NIP/NIK: the clerk confirms the new membership first (the
        # same question the live check asks, here without JavaScript); a refusal is
        # left to the registration, which reports it with any other error
        state = _rejoin_state(nip=data["nip"], nik=data["nik"])
        preview = state.get("preview")
        if preview is None or request.POST.get("rejoin_of") == str(preview.previous.pk):
            state = {}
            with application_errors_to(form) as outcome:
                member = services.member_create(by=request.user, **data)
            if outcome.ok:
                messages.success(request, _("Anggota %(m)s terdaftar.") % {"m": member})
                if member.previous_member is not None:
                    _rejoined_messages(request, member)
                return redirect("members:detail", pk=member.pk)
        else:
            state["confirm"] = True
    return render(request, "members/member_form.html", {"form": form, "member": None, **state})


def _rejoined_messages(request, member) -> None:
    """After a former member's new membership is created: who they were, the heirs it
    took over, the login it took over."""
    messages.info(request, selectors.member_rejoined_note(member))
    heirs = [selectors.heir_label(h) for h in member.heirs.filter(carried_from__isnull=False)]
    if heirs:
        messages.info(
            request,
            _("Ahli waris dibawa dari keanggotaan lama: %(h)s. Ubah di bagian Ahli waris.")
            % {"h": "; ".join(heirs)},
        )
    if member.user_id is not None:
        messages.info(request, _("Akun login portal anggota dipindahkan ke keanggotaan ini."))


@role_required(read=MONEY_WRITERS, write=MONEY_WRITERS)
def member_edit(request, pk: int):
    member = get_object_or_404(Member, pk=pk)
    if not member.is_active:  # a closed record: read-only (the service refuses it too)
        messages.error(request, services.member_read_only_error(member).message)
        return redirect("members:detail", pk=member.pk)
    form = MemberForm(
        request.POST or None,
        editing=True,
        member=member,
        initial=MemberForm.initial_for(member),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        with application_errors_to(form) as outcome:
            services.member_update(member=member, by=request.user, reason=reason, **data)
        if outcome.ok:
            messages.success(request, _("Data anggota disimpan."))
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@role_required(read=STAFF, write=MONEY_WRITERS)
def agency_list(request):
    agencies = Agency.objects.all().order_by("name")

    agencies = agencies.annotate(active=Count("members", filter=Q(members__status="active")))
    return render(
        request,
        "members/agency_list.html",
        {"agencies": agencies, "can_write": request.user.role in MONEY_WRITERS},
    )


@role_required(read=MONEY_WRITERS, write=MONEY_WRITERS)
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
        with application_errors_to(form) as outcome:
            if agency:
                services.agency_update(agency=agency, by=request.user, **form.cleaned_data)
            else:
                services.agency_create(by=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("Instansi disimpan."))
            return redirect("members:agencies")
    return render(request, "members/agency_form.html", {"form": form, "agency": agency})
