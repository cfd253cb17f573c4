"""HTML screens of the year end (/tutup-buku/): the year's page (checklist with fix
links, close, reopen, SHU settings, posting, payout) and the per-member preview (sortable,
XLSX). Staff read; the treasury writes; reopening is the admin's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.common.errors import ApplicationError
from core.common.forms import application_errors_to_messages, form_error_message
from core.common.money import format_rupiah
from core.common.pdf import render_pdf
from core.common.permissions import SETTINGS_ADMINS, STAFF, TREASURY, R, has_role, role_required
from core.ledger.close_guards import close_block
from core.ledger.models import FiscalYear
from core.ledger.services import books_closed_until
from core.members.models import Heir, Member

from . import selectors, services
from .exports import old_books_template_xlsx, preview_xlsx
from .forms import RatHeldForm, RatTextsForm, ShuSettingsForm, YearActionForm
from .models import MemberShare, ShuPayout, ShuSettings, YearEnd
from .old_books import (
    old_books_eligible,
    old_books_preview,
    old_books_rows_read,
    old_books_undo_refusal,
    old_books_upload_read,
    shu_old_books_bring_in,
    shu_old_books_undo,
    shu_unassigned,
)
from .rat import (
    FUND_LABELS,
    capital_estimate_notes,
    rat_pack_pdf,
    rat_pack_xlsx,
    rat_report_for,
    remainder_notes,
    rounding_notes,
    to_reserve_notes,
)
from .reversal import payout_reversal_refusal, shu_payout_reverse

WRITE = TREASURY | SETTINGS_ADMINS


@role_required(read=STAFF, write=WRITE)
def index(request):
    """The year just ended (the one to close); ``?tahun=`` another year's page (a year
    of the old books, which the year list does not name: the year pages' form)."""
    asked = (request.GET.get("tahun") or "").strip()
    if asked.isdigit():
        try:
            return redirect("yearend:year", year=selectors.year_check(int(asked)))
        except ApplicationError:
            pass
    return redirect("yearend:year", year=timezone.localdate().year - 1)


def _year_or_404(year: int) -> None:
    try:
        selectors.year_check(year)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


@role_required(read=STAFF, write=WRITE)
def year_view(request, year: int):
    _year_or_404(year)
    if request.method == "POST":
        form = YearActionForm(request.POST, request.FILES)
        if not form.is_valid() and set(form.errors) != {"member"}:
            messages.error(request, form_error_message(form))  # text with a null character
            return redirect("yearend:year", year=year)
        d = form.cleaned_data  # member ids that are not numbers matter to "payout" only
        action = d["action"]
        with application_errors_to_messages(request) as outcome:
            if action == "settings":
                settings_form = ShuSettingsForm(request.POST)
                if not settings_form.is_valid():  # text with a null character
                    messages.error(request, form_error_message(settings_form))
                else:
                    services.shu_settings_set(
                        year=year, by=request.user, **settings_form.cleaned_data
                    )
                    messages.success(request, _("Pengaturan SHU disimpan."))
            elif action == "close":
                services.yearend_close(year=year, by=request.user)
                messages.success(request, _("Tahun buku %(y)s ditutup.") % {"y": year})
            elif action == "reopen":
                services.yearend_reopen(year=year, reason=d["reason"], by=request.user)
                messages.success(request, _("Tahun buku %(y)s dibuka kembali.") % {"y": year})
            elif action == "post":
                services.shu_post(
                    year=year,
                    rat_date=d["rat_date"],
                    rat_decision=d["rat_decision"],
                    by=request.user,
                )
                messages.success(request, _("Pembagian SHU %(y)s diposting.") % {"y": year})
            elif action == "old_books":
                ye = shu_old_books_bring_in(
                    year=year,
                    rat_date=d["rat_date"],
                    rat_decision=d["rat_decision"],
                    rows=old_books_rows_read(d["rows"]),
                    by=request.user,
                )
                messages.success(
                    request,
                    _("SHU %(y)s dari pembukuan lama dibawa: %(n)s anggota, %(t)s.")
                    % {
                        "y": year,
                        "n": ye.shares.count(),
                        "t": format_rupiah(Decimal(ye.funds["members_total"])),
                    },
                )
            elif action == "old_books_preview":
                # the list read and checked, shown with the total against the balance
                # naming no member; nothing written until "Bawa" is pressed under it
                upload = request.FILES.get("file")
                rows = (
                    old_books_upload_read(upload)
                    if upload is not None
                    else old_books_rows_read(d["rows"])
                )
                if not rows:
                    messages.error(request, _("Unggah berkas daftar SHU atau tempel daftarnya."))
                elif not old_books_eligible(year=year):
                    messages.error(
                        request,
                        _("SHU tahun %(y)s tidak dapat dibawa dari pembukuan lama.") % {"y": year},
                    )
                else:
                    return _year_page(
                        request,
                        year,
                        preview=old_books_preview(rows=rows),
                        preview_rat={
                            "date": request.POST.get("rat_date", ""),
                            "decision": request.POST.get("rat_decision", ""),
                        },
                    )
            elif action == "old_books_undo":
                shu_old_books_undo(year=year, reason=d["reason"], by=request.user)
                messages.success(
                    request,
                    _(
                        "SHU %(y)s dari pembukuan lama dibatalkan: jurnalnya dibalik, saldo "
                        "tanpa nama anggota kembali %(u)s. Tahun ini dapat dibawa lagi."
                    )
                    % {"y": year, "u": format_rupiah(shu_unassigned())},
                )
            elif action == "payout":
                if "member" in form.errors:
                    messages.error(request, form.errors["member"][0])
                else:
                    batch = services.shu_payout_selected(
                        year=year,
                        items=[(i, None) for i in d["member"]],
                        method=d["method"],
                        by=request.user,
                        # a deceased member without heirs registered: the recipient named
                        received_by={
                            i: request.POST.get(f"received_by_{i}", "") for i in d["member"]
                        },
                    )
                    if batch.payouts:
                        messages.success(
                            request, _("SHU %(n)s anggota dibayar.") % {"n": len(batch.payouts)}
                        )
                    if batch.set_aside:
                        messages.warning(
                            request,
                            _("Belum dibayar: %(m)s")
                            % {
                                "m": "; ".join(
                                    f"{a.share.member}: {a.reason}" for a in batch.set_aside
                                )
                            },
                        )
            else:
                raise Http404
        if outcome.error is not None:
            for key, errs in outcome.error.fields.items():
                if key != "file":  # the file's error is the message itself
                    messages.error(request, " ".join(str(e) for e in errs))
        return redirect("yearend:year", year=year)
    return _year_page(request, year)


def _year_page(request, year: int, *, preview=None, preview_rat: dict | None = None):
    """The year's page; ``preview``: an old books' SHU list checked, shown above its
    confirmation (``preview_rat``: the RAT's date and decision as typed)."""
    ye = YearEnd.objects.filter(year=year).first()
    # a year brought in from the old books has no close here (its checklist is the old
    # books'): its shares and their payouts only
    items = [] if ye and ye.old_books else selectors.close_checklist(year=year)
    settings_row = selectors.shu_settings_for(year=year)
    shares = (
        list(
            MemberShare.objects.filter(year_end=ye)
            .select_related("member")
            .prefetch_related("payouts", "payouts__credited_account__member")
            .order_by("member__number")
        )
        if ye and ye.status == YearEnd.Status.POSTED
        else []
    )
    # deceased members with no heirs registered: the payout names the recipient
    with_heirs = set(
        Heir.objects.filter(
            member_id__in=[s.member_id for s in shares if s.member.status == "deceased"],
            is_active=True,
        ).values_list("member_id", flat=True)
    )
    no_heirs = {
        s.member_id
        for s in shares
        if s.member.status == "deceased" and s.member_id not in with_heirs
    }
    closed_until = books_closed_until() if shares else None
    # a year brought in from the old books: undone while none of its shares was used
    # (else the page says what blocks it)
    undo_refusal = old_books_undo_refusal(ye, shares=shares) if ye and ye.old_books else None
    unassigned = shu_unassigned()  # read once: the form's offer and the amount shown
    # what a close guard (an unfinished move-in) would refuse: said above the checklist,
    # with where to resolve it, and no close button (``yearend_close`` still refuses)
    block = (
        close_block(date(year, 12, 31)) if not ye or ye.status == YearEnd.Status.REOPENED else None
    )
    # closed by the ledger alone (existing data): said in the status, no close button
    in_ledger = selectors.closed_in_ledger(year=year)
    # closed here, reopened in the ledger (existing data): said, with the re-close button
    # — or, while manual entry requests dated in the year wait, with that refusal and
    # where to decide them instead (``yearend_reclose`` still refuses)
    reopened = selectors.reopened_in_ledger(year=year)
    reclose_pending = services.reclose_pending_requests(year=year) if reopened else None
    return render(
        request,
        "yearend/year.html",
        {
            "year": year,
            "ye": ye,
            # a deficit year (or a zero one) has nothing to post after the RAT: say so
            "no_shu_note": selectors.no_shu_note(ye) if ye and ye.shu_after_tax <= 0 else "",
            # the RAT's date recorded on the RAT screen: posting must use it
            "rat_held_on": selectors.rat_held_on(year=year),
            "items": items,
            "ready": all(i.ok for i in items)
            and block is None
            and in_ledger is None
            and reopened is None,
            "closed_in_ledger": str(in_ledger.message) if in_ledger else "",
            "reopened_in_ledger": str(reopened.message) if reopened else "",
            "reclose_refusal": str(reclose_pending.message) if reclose_pending else "",
            "close_refusal": str(block.error.message) if block else "",
            "close_refusal_url": reverse(block.fix_url_name)
            if block and block.fix_url_name
            else "",
            "close_refusal_link": str(block.fix_label) if block else "",
            "settings_row": settings_row,
            "pct_values": [
                (f, ShuSettings._meta.get_field(f).verbose_name, getattr(settings_row, f))
                for f in ShuSettings.PCT_FIELDS
            ],
            "choices": {
                "capital_basis": ShuSettings.CapitalBasis.choices,
                "leavers": ShuSettings.Leavers.choices,
                "payout_method": ShuSettings.Payout.choices,
                "tax_rule": ShuSettings.TaxRule.choices,
            },
            "shares": shares,
            # the payouts the treasurer may still reverse (not reversed, month not closed):
            # the service's own refusal decides, so the button is offered only where it works
            "reversible": {
                p.pk
                for s in shares
                for p in s.payouts.all()
                if payout_reversal_refusal(p, closed_until=closed_until) is None
            },
            "no_heirs": no_heirs,
            "old_books_undo_refusal": str(undo_refusal.message) if undo_refusal else "",
            "ob_preview": preview,
            "ob_rat": preview_rat or {},
            # the old books' unpaid SHU of this year, brought in per member
            "old_books_form": ye is None and old_books_eligible(year=year, unassigned=unassigned),
            # old books' unpaid SHU not yet assigned to members: where to bring it in
            "old_books_unassigned": unassigned,
            "can_write": has_role(request.user, TREASURY),
            "is_admin": has_role(request.user, SETTINGS_ADMINS),
            # the books' years, and the years whose unpaid SHU came from the old books
            "years": sorted(
                {
                    *FiscalYear.objects.values_list("year", flat=True),
                    *YearEnd.objects.filter(old_books=True).values_list("year", flat=True),
                },
                reverse=True,
            ),
        },
    )


@role_required(read=STAFF, write=frozenset())
def old_books_template(request, year: int):
    """The old books' SHU list template of ``year`` (XLSX): every member's number and
    name, the two amounts to fill in."""
    _year_or_404(year)
    members = list(Member.objects.order_by("number").values_list("number", "full_name"))
    resp = HttpResponse(
        old_books_template_xlsx(year=year, members=members),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="shu-{year}-pembukuan-lama.xlsx"'
    return resp


@role_required(read=STAFF, write=frozenset())
def preview_view(request, year: int):
    _year_or_404(year)
    sort = request.GET.get("sort", "number")
    with application_errors_to_messages(request) as outcome:
        preview = selectors.shu_preview(year=year)
        if request.GET.get("format") == "xlsx":
            resp = HttpResponse(
                preview_xlsx(preview, sort=sort),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            resp["Content-Disposition"] = f'attachment; filename="shu-{year}.xlsx"'
            return resp
        rows = [
            (r, preview.names.get(r.member_id, ""))
            for r in selectors.preview_rows(preview, sort=sort)
        ]
    if not outcome.ok:
        return redirect("yearend:year", year=year)
    return render(
        request,
        "yearend/preview.html",
        {
            "year": year,
            "preview": preview,
            "rows": rows,
            "sort": sort,
            "funds": [
                (FUND_LABELS.get(k, k), preview.percentages[k], v) for k, v in preview.funds.items()
            ],
            # what rounding and the pools nobody had a claim on added to cadangan
            "fund_notes": rounding_notes(preview.split)
            + to_reserve_notes(preview.to_reserve)
            + list(
                remainder_notes(
                    rows=[
                        (r.capital, r.contribution, r.jma, r.jua) for r in preview.allocation.shares
                    ],
                    unit=preview.split.unit,
                ).values()
            ),
            "capital_notes": capital_estimate_notes(preview.capital_estimates),
            # a month uploaded without sukarela in a year that counts it
            "capital_sukarela_column": any(
                m["sukarela_estimated"] for x in preview.capital_estimates for m in x["months"]
            ),
        },
    )


@role_required(read=STAFF, write=TREASURY | {R.KETUA})
def rat_view(request, year: int):
    """The RAT pack's texts (agenda, board's and supervisors' reports, accounting
    policies) and its downloads."""
    _year_or_404(year)
    form = RatHeldForm(request.POST)
    if request.method == "POST" and not form.is_valid() and "action" in form.errors:
        messages.error(request, form_error_message(form))  # a null character
        return redirect("yearend:rat", year=year)
    if request.method == "POST" and form.cleaned_data["action"] == "held":
        if "held_on" in form.errors:
            messages.error(request, form.errors["held_on"][0])
            return redirect("yearend:rat", year=year)
        with application_errors_to_messages(request):
            services.rat_held_set(year=year, held_on=form.cleaned_data["held_on"], by=request.user)
            messages.success(request, _("Tanggal RAT disimpan."))
        return redirect("yearend:rat", year=year)
    if request.method == "POST":
        texts = RatTextsForm(request.POST)
        if not texts.is_valid():  # text with a null character
            messages.error(request, form_error_message(texts))
            return redirect("yearend:rat", year=year)
        with application_errors_to_messages(request):
            services.rat_texts_set(year=year, by=request.user, **texts.cleaned_data)
            messages.success(request, _("Teks laporan RAT disimpan."))
        return redirect("yearend:rat", year=year)
    return render(
        request,
        "yearend/rat.html",
        {
            "year": year,
            "texts": rat_report_for(year=year),
            "held_on": selectors.rat_held_on(year=year),
            "ye": YearEnd.objects.filter(year=year).first(),
            "can_write": has_role(request.user, TREASURY | {R.KETUA}),
        },
    )


@role_required(read=STAFF, write=frozenset())
def rat_download(request, year: int, fmt: str):
    _year_or_404(year)
    with application_errors_to_messages(request) as outcome:
        if fmt == "pdf":
            body, ctype = rat_pack_pdf(year=year), "application/pdf"
        elif fmt == "xlsx":
            body = rat_pack_xlsx(year=year)
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            raise Http404
    if not outcome.ok:
        return redirect("yearend:rat", year=year)
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="laporan-rat-{year}.{fmt}"'
    return resp


@role_required(read=STAFF, write=frozenset())
def payout_receipt(request, pk: int):
    """The printable receipt of one SHU payout (cash at the counter, or the credit to
    sukarela)."""
    payout = (
        ShuPayout.objects.select_related(
            "share__member", "share__year_end", "entry", "credited_account__member"
        )
        .filter(pk=pk)
        .first()
    )
    if payout is None:
        raise Http404
    body = render_pdf(
        "yearend/payout_receipt_pdf.html", {"p": payout, "printed_at": timezone.localtime()}
    )
    resp = HttpResponse(body, content_type="application/pdf")
    name = payout.receipt_number or f"shu-{payout.pk}"
    resp["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return resp


@require_POST
@role_required(read=STAFF, write=TREASURY)
def payout_reverse(request, pk: int):
    """The year page's *Batalkan* on one payout (bendahara, admin): the reason typed
    beside the button first (required), then ``shu_payout_reverse``. Back to the year."""
    payout = get_object_or_404(ShuPayout.objects.select_related("share__year_end"), pk=pk)
    year = payout.share.year_end.year
    reason = str(request.POST.get("reason", ""))
    if "\x00" in reason:
        messages.error(request, _("Alasan pembatalan tidak valid."))
        return redirect("yearend:year", year=year)
    with application_errors_to_messages(request) as outcome:
        payout = shu_payout_reverse(payout=payout, reason=reason, by=request.user)
    if outcome.ok:
        messages.success(
            request,
            _("Pembayaran SHU %(r)s (%(m)s) dibatalkan; SHU-nya kembali belum dibayar.")
            % {"r": payout.receipt_number or f"#{payout.pk}", "m": payout.share.member},
        )
    return redirect("yearend:year", year=year)


@require_POST
@role_required(read=STAFF, write=TREASURY)
def reclose(request, year: int):
    """The year page's *Tutup ulang* (bendahara, admin; after its confirmation): a year
    closed here whose ledger year was reopened in the ledger is closed again there,
    nothing of the year end posted again (``yearend_reclose``). Back to the year."""
    _year_or_404(year)
    with application_errors_to_messages(request) as outcome:
        services.yearend_reclose(year=year, by=request.user)
    if outcome.ok:
        messages.success(
            request,
            _(
                "Tahun buku %(y)s ditutup kembali di buku besar; pajak penghasilan dan SHU "
                "tidak diposting lagi."
            )
            % {"y": year},
        )
    return redirect("yearend:year", year=year)
