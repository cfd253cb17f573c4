"""HTML screen of the exit settlement (namespace "exits")."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.forms import application_errors_to
from core.common.permissions import STAFF, TREASURY, role_required
from core.members.forms import ExitForm
from core.members.models import Member

from .services import exit_settlement_confirm, exit_settlement_preview


@role_required(read=STAFF, write=TREASURY | {"ketua"})
def exit_settlement(request, member_pk: int):
    """One screen: all savings, unpaid SHU, loans outstanding, net payable; confirm."""
    member = get_object_or_404(Member.objects.select_related("agency"), pk=member_pk)
    if not member.is_active:
        settlement = member.exit_settlements.filter(reversed_at__isnull=True).first()
        return render(request, "exits/exit_done.html", {"member": member, "settlement": settlement})
    today = timezone.localdate()
    preview = exit_settlement_preview(member=member, on=today)
    form = ExitForm(
        request.POST or None,
        initial={"on": today, "channel": "bank", "payee": "member", "expected_net": preview.net()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with application_errors_to(form) as outcome:
            exit_settlement_confirm(
                member=member,
                reason=d["reason"],
                on=d["on"],
                by=request.user,
                channel=d["channel"],
                payee=d["payee"],
                waive_loans=d["waive_loans"],
                waiver_reason=d["waiver_reason"],
                board_decision_ref=d["board_decision_ref"],
                expected_net=d["expected_net"] if not d["waive_loans"] else None,
            )
        if outcome.ok:
            messages.success(
                request, _("Penyelesaian keluar anggota %(m)s selesai.") % {"m": member}
            )
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "exits/exit.html",
        {
            "member": member,
            "preview": preview,
            "form": form,
            "net_waived": preview.net(waive_loans=True),
            "heirs": member.heirs.filter(is_active=True),
        },
    )
