"""HTML screens that read across the feature apps (staff): one view of a member."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.common.forms import application_errors_to, application_errors_to_messages
from core.common.permissions import MONEY_WRITERS, SETTINGS_ADMINS, STAFF, role_required
from core.members import selectors as member_selectors
from core.members import services as member_services
from core.members.forms import HeirForm
from core.members.models import Member
from core.users.models import User

from . import selectors
from .search import search_everything


@role_required(read=STAFF, write=MONEY_WRITERS)
def member_detail(request, pk: int):
    """Everything about one member on one page: data, savings, loans with schedule and
    grade, payroll deductions per month, SHU per year, documents, heirs, history."""
    try:
        ov = selectors.member_overview(member_id=pk)
    except Member.DoesNotExist:
        raise Http404 from None
    member = ov.member
    if request.method == "POST" and not member.is_active:
        # a member who left is a closed record: no login, no heirs change here
        messages.error(request, member_services.member_read_only_error(member).message)
        return redirect("members:detail", pk=member.pk)
    if request.method == "POST" and "link_user" in request.POST:
        if request.user.role not in SETTINGS_ADMINS:
            raise PermissionDenied
        user = User.objects.filter(
            email__iexact=request.POST.get("email", "").strip(), role="anggota"
        ).first()
        with application_errors_to_messages(request) as outcome:
            member_services.member_user_link(member=member, user=user, by=request.user)
        if outcome.ok:
            messages.success(request, _("Akun login dihubungkan."))
        return redirect("members:detail", pk=member.pk)
    if request.method == "POST" and "deactivate_heir" in request.POST:
        raw = request.POST["deactivate_heir"].strip()
        ok = raw.isascii() and raw.isdigit() and len(raw) < 19  # an id, within bigint
        heir = member.heirs.filter(pk=int(raw)).first() if ok else None
        if heir is None:
            raise Http404
        with application_errors_to_messages(request) as outcome:
            member_services.heir_deactivate(
                heir=heir, by=request.user, reason=request.POST.get("heir_reason", "")
            )
        if outcome.ok:
            messages.success(request, _("Ahli waris %(h)s dinonaktifkan.") % {"h": heir.full_name})
        return redirect(reverse("members:detail", args=[member.pk]) + "#heirs")
    settlement = (
        None
        if member.is_active
        else member.exit_settlements.filter(reversed_at__isnull=True).first()
    )
    heir_form = HeirForm(request.POST or None)
    if request.method == "POST" and heir_form.is_valid():
        with application_errors_to(heir_form) as outcome:
            member_services.heir_add(member=member, by=request.user, **heir_form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("Ahli waris ditambahkan."))
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "ov": ov,
            "heir_form": heir_form,
            "rejoined_note": member_selectors.member_rejoined_note(member),
            "next_membership": member_selectors.member_next_membership(member),
            "settlement": settlement,
            "left_open": _left_open(ov, settlement),
        },
    )


def _left_open(ov, settlement) -> bool:
    """The member is marked as left without a settlement and still holds an open savings
    account or a running loan (left outside the exit flow): the page says so and links
    the exit screen that settles them. Read from the overview (no query)."""
    if ov.member.is_active or settlement is not None:
        return False
    return any(a.status == "open" for a in ov.accounts) or any(
        lv.loan.status == "disbursed" for lv in ov.loans
    )


@role_required(read=STAFF, write=frozenset())
def search(request):
    """The top bar's search box: members, loans and receipts, grouped; one hit goes
    straight to its page."""
    result = search_everything(q=request.GET.get("q", ""))
    if result.only is not None and result.only.url:
        return redirect(result.only.url)
    groups = [
        ("members", _("Anggota"), result.members),
        ("loans", _("Pinjaman"), result.loans),
        ("receipts", _("Kuitansi"), result.receipts),
    ]
    return render(
        request, "overview/search.html", {"result": result, "q": result.q, "groups": groups}
    )
