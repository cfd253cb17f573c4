"""HTML screen of the exit settlement (namespace "exits")."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.confirm import (
    Confirmation,
    ConfirmLine,
    carry,
    confirmation_page,
    is_confirmed,
)
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.forms import application_errors_to
from core.common.money import format_rupiah
from core.common.permissions import STAFF, TREASURY, role_required
from core.members.forms import ExitForm
from core.members.models import Member

from .api import settlement_to_reverse
from .services import (
    SETTLE_ROLES,
    exit_reversal_reason_clean,
    exit_settlement_confirm,
    exit_settlement_future_notice,
    exit_settlement_left_open_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
    left_open_items,
)


@role_required(read=STAFF, write=SETTLE_ROLES)
def exit_settlement(request, member_pk: int):
    """One screen: all savings, unpaid SHU, loans outstanding, net payable; confirm.
    A member already marked as left who still holds open accounts or loans (left
    outside the exit flow): the same screen settles what they left open, keeping their
    status (*Selesaikan rekening yang masih terbuka*)."""
    member = get_object_or_404(Member.objects.select_related("agency"), pk=member_pk)
    if not member.is_active:
        settlement = member.exit_settlements.filter(reversed_at__isnull=True).first()
        still_open = any(left_open_items(member))
        if settlement is not None or not still_open:
            return render(
                request,
                "exits/exit_done.html",
                {
                    "member": member,
                    "settlement": settlement,
                    # open after a settlement (e.g. a loan brought in on the closed
                    # record before the move-in refused it): reverse, then settle again
                    "still_open": still_open,
                    "can_reverse": settlement is not None and request.user.role in TREASURY,
                },
            )
    on = _settlement_date(request, member)
    preview = exit_settlement_preview(member=member, on=on)
    future = exit_settlement_future_notice(on)
    form = ExitForm(
        request.POST.copy() if request.method == "POST" else None,
        initial={"on": on, "channel": "bank", "payee": "member"},
    )
    if preview.left_open:  # the reason is the status they left with: not chosen here
        del form.fields["reason"]
        form.fields["on"].label = _("Tanggal penyelesaian")
    # a future date: the page says why it cannot be confirmed yet, and nothing is tried
    if request.method == "POST" and not future and form.is_valid():
        d = form.cleaned_data
        expected = d["expected_net_waived"] if d["waive_loans"] else d["expected_net"]
        if expected is None or (
            d["shown_on"] not in (None, on)
            and expected != preview.net(waive_loans=d["waive_loans"])
        ):
            # the figure shown was for another date (or none was shown): show this date's
            form.add_error(
                None,
                _(
                    "Perhitungan di bawah kini untuk tanggal %(d)s (dibayarkan %(n)s). "
                    "Periksa lagi lalu konfirmasi."
                )
                % {
                    "d": format_tanggal(on),
                    "n": format_rupiah(preview.net(waive_loans=d["waive_loans"])),
                },
            )
        else:
            common = {
                "member": member,
                "on": on,
                "by": request.user,
                "channel": d["channel"],
                "payee": d["payee"],
                "waive_loans": d["waive_loans"],
                "waiver_reason": d["waiver_reason"],
                "board_decision_ref": d["board_decision_ref"],
                "expected_net": expected,
            }
            with application_errors_to(form) as outcome:
                if preview.left_open:
                    exit_settlement_left_open_confirm(**common)
                else:
                    exit_settlement_confirm(reason=d["reason"], **common)
            if outcome.ok:
                done = (
                    _("Rekening yang masih terbuka milik %(m)s sudah diselesaikan.")
                    if preview.left_open
                    else _("Penyelesaian keluar anggota %(m)s selesai.")
                )
                messages.success(request, done % {"m": member})
                return redirect("members:detail", pk=member.pk)
    _figures_shown(form, preview)
    return render(
        request,
        "exits/exit.html",
        {
            "member": member,
            "preview": preview,
            "form": form,
            "net_waived": preview.net(waive_loans=True),
            # amounts written by the money filter's one rule (-Rp for what is taken off)
            "loans_deducted": -preview.loans_outstanding,
            "net_owed": max(-preview.net_payable, 0),
            "shown_date": format_tanggal(preview.on),
            "heirs": member.heirs.filter(is_active=True),
            "future_notice": future,
        },
    )


def _settlement_date(request, member: Member) -> date:
    """The exit date the screen computes for: the one typed in the form (POST) or chosen
    above the calculation (GET ``?on=``); today when none (or not a date) is given — for
    a member already marked as left, not before their exit date."""
    raw = (request.POST if request.method == "POST" else request.GET).get("on")
    if raw:
        try:
            return ExitForm.base_fields["on"].clean(raw)
        except ValidationError:
            pass
    today = timezone.localdate()
    if member.exit_date is not None and member.exit_date > today:
        return member.exit_date
    return today


def _figures_shown(form: ExitForm, preview) -> None:
    """The form's hidden figures are those this page shows (for the preview's date), so
    the next submission is checked against what the user has just seen."""
    figures = {
        "expected_net": preview.net(),
        "expected_net_waived": preview.net(waive_loans=True),
        "shown_on": preview.on,
    }
    if form.is_bound:
        for name, value in figures.items():
            form.data[name] = value
    else:
        form.initial.update(figures)


@role_required(read=STAFF, write=TREASURY)
def exit_settlement_reverse_view(request, member_pk: int):
    """Reverse a mistaken exit settlement (bendahara, admin): the first POST shows what is
    taken back; the confirmed POST reverses it."""
    if request.method != "POST":
        raise Http404
    member = get_object_or_404(Member, pk=member_pk)
    back = reverse("exits:settle", args=[member.pk])
    try:
        settlement = settlement_to_reverse(member)
        reason = exit_reversal_reason_clean(request.POST.get("reason", ""))
        if not is_confirmed(request):
            return confirmation_page(
                request,
                Confirmation(
                    title=_("Konfirmasi pembatalan penyelesaian keluar %s") % member.full_name,
                    intro=_("%(n)s · %(m)s, keluar %(d)s. Alasan pembatalan: %(r)s")
                    % {
                        "n": member.number,
                        "m": member.full_name,
                        "d": format_tanggal(settlement.on),
                        "r": reason,
                    },
                    lines=[
                        ConfirmLine(
                            _("Simpanan dikembalikan ke rekening"), settlement.savings_total
                        ),
                        ConfirmLine(
                            _("Jasa simpanan yang dikreditkan penyelesaian"),
                            settlement.interest_credited,
                        ),
                        ConfirmLine(_("SHU belum dibayar"), settlement.shu_unpaid),
                        ConfirmLine(_("Pinjaman berjalan lagi"), settlement.loans_outstanding),
                        ConfirmLine(
                            _("Pembayaran yang dibatalkan"), settlement.net_payable, strong=True
                        ),
                    ],
                    note=_(
                        "Anggota tetap tercatat keluar (%(s)s, %(d)s); rekening simpanannya "
                        "dibuka lagi dengan saldonya, pinjaman yang dilunasi penyelesaian ini "
                        "berjalan lagi, dan jurnalnya dibalik. Penyelesaian tetap tercatat dan "
                        "ditandai dibatalkan."
                    )
                    % {
                        "s": member.get_status_display(),
                        "d": format_tanggal(member.exit_date),
                    }
                    if settlement.left_open
                    else _(
                        "Anggota kembali aktif, rekening simpanannya dibuka lagi dengan saldonya, "
                        "pinjaman yang dilunasi penyelesaian ini berjalan lagi, dan jurnalnya "
                        "dibalik. Penyelesaian tetap tercatat dan ditandai dibatalkan."
                    ),
                    action=reverse("exits:reverse", args=[member.pk]),
                    back=back,
                    button=_("Ya, batalkan penyelesaian keluar"),
                    reverses=True,
                    fields=carry(request, ("reason",)),
                    danger=True,
                ),
            )
        exit_settlement_reverse(settlement=settlement, by=request.user, reason=reason)
        messages.success(
            request, _("Penyelesaian keluar anggota %(m)s dibatalkan.") % {"m": member}
        )
        return redirect("members:detail", pk=member.pk)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect(back)
