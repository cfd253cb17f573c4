"""HTML screens of payroll deduction (namespace "deductions"): runs (generate, progress),
per-agency downloads and uploads, import check and preview, post, reverse, reconcile,
member history, settings. Bendahara/admin write; other staff (pengawas) read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.common.confirm import (
    Confirmation,
    ConfirmLine,
    carry,
    confirmation_page,
    is_confirmed,
)
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.exports import attachment_response
from core.common.forms import application_errors_to_messages, form_error_message
from core.common.money import format_rupiah
from core.common.permissions import STAFF, TREASURY, has_role, role_required
from core.members.models import Agency, Member

from . import exports, selectors, services
from .forms import DeductionSettingsForm, ImportActionForm, RunActionForm, RunStartForm
from .import_messages import results_shown, rows_shown, texts_shown
from .models import DeductionImport, DeductionRun


def _can_write(user) -> bool:
    return has_role(user, TREASURY)


def _agency_filter(request) -> Agency | None:
    """The ``?agency=<id>`` of a link: None when absent or empty; an id that is not a
    plain positive number (a hand-edited ``?agency=abc``) is an agency that does not exist."""
    raw = request.GET.get("agency", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise Http404
    return get_object_or_404(Agency, pk=int(raw))


@role_required(read=STAFF, write=TREASURY)
def runs(request):
    today = timezone.localdate()
    if request.method == "POST":
        form = RunStartForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Bulan atau tahun tidak valid."))
            return redirect("deductions:runs")
        with application_errors_to_messages(request) as outcome:
            run = services.deduction_run_start(
                year=form.cleaned_data["year"] or 0,
                month=form.cleaned_data["month"] or 0,
                by=request.user,
            )
        if not outcome.ok:
            return redirect("deductions:runs")
        messages.success(
            request, _("Daftar potong gaji %(m)s sedang dibuat.") % {"m": run.month_shown}
        )
        return redirect("deductions:run", pk=run.pk)
    return render(
        request,
        "deductions/runs.html",
        {
            "runs": selectors.run_list()[:36],
            "settings": services.deduction_settings_get(),
            "year": today.year,
            "month": today.month,
            "can_write": _can_write(request.user),
        },
    )


@role_required(read=STAFF, write=TREASURY)
def run_detail(request, pk: int):
    run = get_object_or_404(DeductionRun, pk=pk)
    form = RunActionForm(request.POST)
    if request.method == "POST" and not form.is_valid():
        messages.error(request, form_error_message(form))
        return redirect("deductions:run", pk=run.pk)
    if request.method == "POST" and "upload" in request.POST:
        agency = get_object_or_404(Agency, pk=form.cleaned_data.get("agency"))
        f = request.FILES.get("file")
        if f is None:
            messages.error(request, _("Pilih file realisasi (XLSX atau CSV)."))
        elif f.size > services.MAX_UPLOAD:
            messages.error(request, _("File terlalu besar (maks. 10 MB)."))
        else:
            with application_errors_to_messages(request):
                imp = services.deduction_import_upload(
                    run=run, agency=agency, content=f.read(), file_name=f.name, by=request.user
                )
                return redirect("deductions:import", pk=imp.pk)
        return redirect("deductions:run", pk=run.pk)
    if request.method == "POST" and "post_all" in request.POST:
        if not is_confirmed(request) and selectors.run_ready_imports(run)[0]:
            return _confirm_post_all(request, run, on=form.cleaned_data["on"])
        with application_errors_to_messages(request):
            run = services.deduction_run_post_all_enqueue(
                run=run, by=request.user, on=form.cleaned_data["on"]
            )
            messages.success(
                request,
                _("Posting %(n)s instansi dimulai.") % {"n": run.posting_total},
            )
        return redirect("deductions:run", pk=run.pk)
    if request.method == "POST" and "nothing_deducted" in request.POST:
        agency = get_object_or_404(Agency, pk=form.cleaned_data.get("agency"))
        if not is_confirmed(request):
            return _confirm_nothing_deducted(request, run, agency)
        with application_errors_to_messages(request):
            imp = services.deduction_agency_post_nothing(run=run, agency=agency, by=request.user)
            messages.success(
                request,
                _("Dicatat: %(a)s tidak memotong apa pun bulan %(m)s.")
                % {"a": agency.name, "m": run.month_shown},
            )
            return redirect("deductions:import", pk=imp.pk)
        return redirect("deductions:run", pk=run.pk)
    if request.method == "POST" and "regenerate" in request.POST:
        with application_errors_to_messages(request):
            services.deduction_run_regenerate_start(run=run, by=request.user)
            messages.success(request, _("Daftar %(m)s dibuat ulang.") % {"m": run.month_shown})
        return redirect("deductions:run", pk=run.pk)
    if request.method == "POST" and "retry" in request.POST:
        with application_errors_to_messages(request):
            services.deduction_run_retry_start(run=run, by=request.user)
        return redirect("deductions:run", pk=run.pk)
    ready = run.status == DeductionRun.Status.READY
    # a list of a month before the books start: its payday is no posting date (refused,
    # naming the books start), so the page says so and proposes the books' first day
    books_from = services.books_start_after(run.payday)
    return render(
        request,
        "deductions/run_detail.html",
        {
            "run": run,
            "agencies": selectors.run_agencies(run) if ready else [],
            "totals": selectors.run_totals(run) if ready else None,
            "ready_to_post": len(selectors.run_ready_imports(run)[0]) if ready else 0,
            # what "post every ready agency" would leave out, shown beside its button
            "left_out": services.post_all_left_out(run) if ready else [],
            # the last "post every ready agency": its results in the reader's language
            "posting_results": results_shown(run.posting_results),
            "posting_date": services.posting_date_proposed(run),
            "books_from": books_from,
            "stale": selectors.run_stale_batches(run) if ready else [],
            "unposted_earlier": selectors.run_unposted_earlier(run) if ready else [],
            "can_write": _can_write(request.user),
        },
    )


@role_required(read=STAFF)
def run_posting_progress(request, pk: int):
    """The htmx fragment polled while every ready agency is being posted."""
    run = get_object_or_404(DeductionRun, pk=pk)
    resp = render(
        request,
        "deductions/_posting.html",
        {"run": run, "posting_results": results_shown(run.posting_results)},
    )
    if run.posting_status != DeductionRun.PostingStatus.RUNNING:
        resp["HX-Refresh"] = "true"  # finished: reload the page with the agencies posted
    return resp


@role_required(read=STAFF)
def run_progress(request, pk: int):
    """The htmx fragment polled while a run is being generated."""
    run = get_object_or_404(DeductionRun, pk=pk)
    resp = render(request, "deductions/_progress.html", {"run": run})
    if run.status != DeductionRun.Status.GENERATING:
        resp["HX-Refresh"] = "true"  # finished: reload the page with the agencies
    return resp


@role_required(read=STAFF)
def run_export(request, pk: int, fmt: str):
    run = get_object_or_404(DeductionRun, pk=pk)
    agency = _agency_filter(request)
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    with application_errors_to_messages(request):
        return attachment_response(*exports.run_export_file(run=run, fmt=fmt, agency=agency))
    return redirect("deductions:run", pk=run.pk)


@role_required(read=selectors.BATCH_PAGE_ROLES, write=TREASURY)
def import_detail(request, pk: int):
    imp = get_object_or_404(DeductionImport.objects.select_related("run", "agency", "entry"), pk=pk)
    if request.method == "POST":
        form = ImportActionForm(request.POST)
        if not form.is_valid() and set(form.errors) != {"rows"}:
            messages.error(request, form_error_message(form))
            return redirect("deductions:import", pk=imp.pk)
        d = form.cleaned_data  # row numbers that are not numbers matter to "exclude" only
        action = d["action"]
        if action in ("post", "reverse") and not is_confirmed(request):
            if action == "reverse":  # a reason refused before the confirmation, not after
                with application_errors_to_messages(request) as outcome:
                    services.reversal_reason_clean(d["reason"])
                if not outcome.ok:
                    return redirect("deductions:import", pk=imp.pk)
            return _confirm_import(request, imp, action, form)
        with application_errors_to_messages(request):
            if action == "exclude" and d.get("all_rows"):
                services.deduction_import_exclude(
                    imp=imp, rows=sorted({e["row"] for e in imp.errors}), by=request.user
                )
            elif action == "exclude":
                if "rows" in form.errors:
                    messages.error(request, form.errors["rows"][0])
                else:
                    services.deduction_import_exclude(imp=imp, rows=d["rows"], by=request.user)
            elif action == "post":
                services.deduction_import_post(
                    imp=imp, by=request.user, on=d["on"], nothing_deducted=d["nothing_deducted"]
                )
                messages.success(
                    request, _("Potong gaji %(a)s diposting.") % {"a": imp.agency.name}
                )
            elif action == "reverse":
                services.deduction_import_reverse(imp=imp, reason=d["reason"], by=request.user)
                messages.success(request, _("Batch dibatalkan."))
            elif action == "discard":
                services.deduction_import_discard(imp=imp, by=request.user)
                return redirect("deductions:run", pk=imp.run_id)
        return redirect("deductions:import", pk=imp.pk)
    plans = services.deduction_import_plan(imp) if imp.status in ("valid", "posted") else []
    plans, plan_totals = selectors.plan_preview(plans)
    if imp.status == "posted":
        selectors.plans_payoff_loans(plans)
    excluded = set(imp.excluded_rows)
    return render(
        request,
        "deductions/import_detail.html",
        {
            "imp": imp,
            "run": imp.run,
            # kept as codes: said in the reader's language (``import_messages``)
            "errors": [dict(e, excluded=e["row"] in excluded) for e in rows_shown(imp.errors)],
            "file_errors": texts_shown(imp.file_errors),
            "warnings": rows_shown((imp.posted_data or {}).get("warnings", [])),
            "file_warnings": texts_shown((imp.posted_data or {}).get("file_warnings", [])),
            "encoding": (imp.posted_data or {}).get("encoding", ""),
            "non_ascii": (imp.posted_data or {}).get("non_ascii", []),
            "non_ascii_count": (imp.posted_data or {}).get("non_ascii_count", 0),
            "changed": [r for r in imp.rows if r.get("preview")],
            "plans": plans,
            "plan_totals": plan_totals,
            "missing": [p for p in plans if not p.in_file],
            "posting_date": services.posting_date_proposed(imp.run),
            "posting_day": format_tanggal(services.posting_date_proposed(imp.run)),
            # refused only by rows too early for the date last checked: it may be posted
            # on this date or later (which clears them), or once they are excluded
            "date_only_from": (
                format_tanggal(services.loan_date_earliest(imp))
                if services.date_errors_only(imp)
                else ""
            ),
            "can_write": _can_write(request.user),
        },
    )


def _posting_day(run: DeductionRun, on: str) -> str:
    """The posting date as typed, in words; a bad date is left to the service to refuse."""
    try:
        return format_tanggal(services.posting_date_clean(run, on or None))
    except ApplicationError:
        return on


def _confirm_import(request, imp: DeductionImport, action: str, form: ImportActionForm):
    """Posting one agency's batch (the realised total split by what it pays) or reversing
    a posted batch: what will be posted, in rupiah, before it is."""
    url = reverse("deductions:import", args=[imp.pk])
    if action == "reverse":
        return confirmation_page(
            request,
            Confirmation(
                title=_("Konfirmasi pembatalan batch %(a)s") % {"a": imp.agency.name},
                intro=_("Jurnal pembalik atas %(e)s; alasan: %(r)s")
                % {"e": imp.entry or "", "r": form.cleaned_data["reason"]},
                lines=[ConfirmLine(_("Total dibalik"), imp.total_realized, strong=True)],
                action=url,
                back=url,
                button=_("Ya, batalkan batch"),
                reverses=True,
                fields=carry(request, ("action", "reason")),
                danger=True,
            ),
        )
    plans = services.deduction_import_plan(imp)
    if form.cleaned_data.get("nothing_deducted"):
        return _confirm_nothing(
            request,
            title=_("Konfirmasi: %(a)s tidak memotong apa pun") % {"a": imp.agency.name},
            run=imp.run,
            asked=sum((p.line.total for p in plans), 0),
            members=len(plans),
            action=url,
            fields=carry(request, ("action", "on", "nothing_deducted")),
        )
    # the date as the posting reads it, and what the posting will record on it: each
    # loan's share split by the loans batch's rule (an over-payment goes to sukarela).
    # A date the posting refuses (not one it takes, too early for a row's loan, a month
    # whose jasa simpanan was run for what the batch credits) is refused here with the
    # posting's message, before the page asks to post: no figures of another date
    with application_errors_to_messages(request) as outcome:
        on = services.posting_date_clean(imp.run, form.cleaned_data["on"] or None)
        preview = services.deduction_import_post_preview(imp=imp, on=on, plans=plans)
        services.deduction_import_post_check(imp=imp, preview=preview)
    if not outcome.ok:
        return redirect("deductions:import", pk=imp.pk)
    f = preview.figures()
    # what the batch books: the plan's rows (an import flagged only for an earlier date
    # counts its flagged rows, which a later date posts; otherwise the import's total)
    total = f["realized"]
    notes = [(p, r) for p in plans for r in p.redirects] + preview.overpaid()
    return confirmation_page(
        request,
        Confirmation(
            title=_("Konfirmasi posting %(a)s") % {"a": imp.agency.name},
            intro=_("%(r)s, %(n)s anggota, tanggal uang diterima %(d)s.")
            % {
                "r": imp.run.month_shown,
                "n": len(plans),
                "d": format_tanggal(on),
            },
            # members the list asks that the batch takes as not deducted: not in the
            # file, or their rows excluded
            notice=" ".join(
                x
                for x in (
                    ngettext(
                        "%(n)s anggota tidak ada di file (dianggap tidak dipotong).",
                        "%(n)s anggota tidak ada di file (dianggap tidak dipotong).",
                        f["not_in_file"],
                    )
                    % {"n": f["not_in_file"]}
                    if f["not_in_file"]
                    else "",
                    ngettext(
                        "%(n)s baris file dikecualikan (dianggap tidak dipotong).",
                        "%(n)s baris file dikecualikan (dianggap tidak dipotong).",
                        f["excluded_rows"],
                    )
                    % {"n": f["excluded_rows"]}
                    if f["excluded_rows"]
                    else "",
                )
                if x
            ),
            lines=[
                ConfirmLine(_("Diminta di daftar"), f["asked"]),
                ConfirmLine(_("Jasa pinjaman"), f["jasa"]),
                ConfirmLine(_("Denda pinjaman"), f["penalty"]),
                ConfirmLine(_("Pokok pinjaman"), f["principal"]),
                ConfirmLine(_("Simpanan wajib"), f["wajib"]),
                ConfirmLine(_("Lainnya"), f["others"]),
                ConfirmLine(_("Ke simpanan sukarela"), f["to_sukarela"]),
                *(
                    [
                        ConfirmLine(
                            _("di antaranya dialihkan ke sukarela (%(n)s anggota)")
                            % {"n": f["redirected_members"]},
                            f["redirected"],
                        )
                    ]
                    if f["redirected"]
                    else []
                ),
                *(
                    [
                        ConfirmLine(
                            ngettext(
                                "di antaranya kelebihan angsuran pinjaman (%(n)s pinjaman)",
                                "di antaranya kelebihan angsuran pinjaman (%(n)s pinjaman)",
                                f["overpaid_loans"],
                            )
                            % {"n": f["overpaid_loans"]},
                            f["loans_to_sukarela"],
                        )
                    ]
                    if f["loans_to_sukarela"]
                    else []
                ),
                ConfirmLine(_("Total realisasi (masuk bank)"), total, strong=True),
                ConfirmLine(
                    _("Kekurangan (%(n)s anggota)") % {"n": f["short_members"]}, f["shortfall"]
                ),
                ConfirmLine(_("Selisih terhadap daftar"), f["difference"]),
            ],
            note="; ".join(
                f"{p.line.full_name} ({p.line.member_number}): {r.text}" for p, r in notes
            ),
            action=url,
            back=url,
            button=_("Ya, posting %s") % format_rupiah(total),
            fields=carry(request, ("action", "on")),
        ),
    )


def _confirm_nothing_deducted(request, run: DeductionRun, agency: Agency):
    """Recording without a file that an agency deducted nothing this month."""
    totals = next((a for a in selectors.run_agencies(run) if a["agency_id"] == agency.pk), None)
    if totals is None:
        raise Http404
    return _confirm_nothing(
        request,
        title=_("Konfirmasi: %(a)s tidak memotong apa pun") % {"a": agency.name},
        run=run,
        asked=totals["asked"],
        members=totals["members"],
        action=reverse("deductions:run", args=[run.pk]),
        fields=carry(request, ("nothing_deducted", "agency")),
    )


def _confirm_nothing(request, *, title, run, asked, members: int, action: str, fields):
    """What a "nothing deducted" batch does, before it is recorded."""
    return confirmation_page(
        request,
        Confirmation(
            title=title,
            intro=_(
                "%(r)s, %(n)s anggota: tidak ada uang yang dibukukan (tanpa jurnal). Semua "
                "tagihan dicatat tidak dipotong; wajib dan angsuran yang tertunggak ditagih "
                "lagi di daftar bulan berikutnya."
            )
            % {"r": run.month_shown, "n": members},
            lines=[
                ConfirmLine(_("Total realisasi (masuk bank)"), 0),
                ConfirmLine(_("Kekurangan (%(n)s anggota)") % {"n": members}, asked, strong=True),
            ],
            action=action,
            back=action,
            button=_("Ya, catat tidak ada potongan"),
            fields=fields,
            danger=True,
        ),
    )


def _confirm_post_all(request, run: DeductionRun, *, on: str):
    """Posting every ready agency: each agency's realised total and the sum."""
    ready, _dups = selectors.run_ready_imports(run)
    left_out = services.post_all_left_out(run)
    lines = [ConfirmLine(imp.agency.name, imp.total_realized) for imp in ready]
    total = sum((imp.total_realized for imp in ready), 0)
    lines.append(ConfirmLine(_("Total"), total, strong=True))
    url = reverse("deductions:run", args=[run.pk])
    return confirmation_page(
        request,
        Confirmation(
            title=_("Konfirmasi posting semua instansi"),
            intro=_("%(r)s: %(n)s instansi siap, tanggal uang diterima %(d)s.")
            % {"r": run.month_shown, "n": len(ready), "d": _posting_day(run, on)},
            lines=lines,
            notice=(
                _("Tidak ikut diposting: %(list)s")
                % {
                    "list": " ".join(
                        f"{r['agency']} ({r['code']}): {r['message']}" for r in left_out
                    )
                }
                if left_out
                else ""
            ),
            action=url,
            back=url,
            button=_("Ya, posting %s") % format_rupiah(total),
            fields=carry(request, ("post_all", "on")),
        ),
    )


@role_required(read=STAFF)
def reconcile(request, pk: int):
    run = get_object_or_404(DeductionRun, pk=pk)
    agency = _agency_filter(request)
    q = request.GET.get("q", "").strip()
    only = request.GET.get("kurang") == "1"
    lines = selectors.run_member_lines(run, agency=agency, q=q, shortfall_only=only)
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "deductions/reconcile.html",
        {
            "run": run,
            "agencies": selectors.run_agencies(run),
            "totals": selectors.run_totals(run),
            "agency": agency,
            "q": q,
            "only": only,
            "page": page,
        },
    )


@role_required(read=STAFF)
def member_history(request, member_pk: int):
    member = get_object_or_404(Member, pk=member_pk)
    lines = list(selectors.member_history(member.pk))
    for ln in lines:
        ln.not_asked = selectors.line_not_asked_after_exit(ln, member=member)
    return render(request, "deductions/member_history.html", {"member": member, "lines": lines})


@role_required(read=STAFF, write=TREASURY)
def settings_view(request):
    cfg = services.deduction_settings_get()
    if request.method == "POST":
        form = DeductionSettingsForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                _("Tanggal cut-off tidak valid.")
                if "cutoff_day" in form.errors
                else form_error_message(form),
            )
        else:
            with application_errors_to_messages(request):
                services.deduction_settings_update(
                    by=request.user,
                    cutoff_day=form.cleaned_data["cutoff_day"] or 0,
                    priority=form.cleaned_data["priority"],
                    signer_name=form.cleaned_data["signer_name"],
                    signer_title=form.cleaned_data["signer_title"],
                )
                messages.success(request, _("Pengaturan disimpan."))
                return redirect("deductions:runs")
    return render(
        request,
        "deductions/settings.html",
        {"settings": cfg, "can_write": _can_write(request.user)},
    )
