"""HTML screens of the general ledger: chart of accounts, journal, reports (with PDF and
XLSX), periods. Views parse input, call one service or selector, render."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.common.confirm import (
    Confirmation,
    ConfirmLine,
    carry,
    confirmation_page,
    is_confirmed,
)
from core.common.dates import format_bulan, format_tanggal, format_waktu
from core.common.exports import Column, export_format, export_response
from core.common.forms import application_errors_to_messages, form_error_message
from core.common.money import format_rupiah
from core.common.pagination import BoundedPaginator
from core.common.permissions import SETTINGS_ADMINS, STAFF, TREASURY, has_role, role_required
from core.common.submission import ALREADY_SENT, submission_first

from . import exports, reports, services, tables
from .close_guards import close_block
from .forms import (
    AccountActionForm,
    AccountCreateForm,
    AccountEditForm,
    FiscalYearOpenForm,
    JournalReverseForm,
    LedgerSettingsForm,
    ManualEntryForm,
    ManualRequestDecisionForm,
    PeriodActionForm,
)
from .models import (
    Account,
    FiscalYear,
    JournalEntry,
    JournalLine,
    LedgerExport,
    LedgerSettings,
    ManualEntryRequest,
    Period,
)
from .payroll_batches import payroll_batches_by_entry
from .selectors import member_labels, period_activity, totals_as_of

MANUAL_ROWS = 8
APPROVERS = TREASURY | {"ketua"}


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _bounded(request, raw: str | None, field: str) -> date | None:
    """A date parameter of a list or report: unreadable → None (the default); outside
    the books' range (before their start, more than a year ahead) → an Indonesian error
    message and None."""
    with application_errors_to_messages(request):
        return services.date_in_range(_date(raw), field=field)
    return None


def _range(request, params=None) -> reports.Range:
    params = request.GET if params is None else params
    return reports.default_range(
        _bounded(request, params.get("date_from"), "date_from"),
        _bounded(request, params.get("date_to"), "date_to"),
    )


# ------------------------------------------------------------------------------ index

# The screens of the ledger area, as (label, URL name, what it is for, roles that see it).
INDEX_LINKS = [
    (
        gettext_lazy("Bagan akun"),
        "ledger:accounts",
        gettext_lazy("Daftar akun dan pemetaan per transaksi."),
        STAFF,
    ),
    (
        gettext_lazy("Jurnal"),
        "ledger:journal",
        gettext_lazy("Semua jurnal, dengan sumber dan pembalikannya."),
        STAFF,
    ),
    (
        gettext_lazy("Jurnal manual baru"),
        "ledger:journal_new",
        gettext_lazy("Catat jurnal umum."),
        TREASURY,
    ),
    (
        gettext_lazy("Laporan keuangan"),
        "ledger:reports",
        gettext_lazy("Buku besar, neraca saldo, neraca, laba rugi, perubahan ekuitas, arus kas."),
        STAFF,
    ),
    (
        gettext_lazy("Periode akuntansi"),
        "ledger:periods",
        gettext_lazy("Tutup buku bulanan dan tahunan."),
        STAFF,
    ),
]


@role_required(read=STAFF, write=frozenset())
def index(request):
    """/buku-besar/: the ledger area's screens this user may open."""
    links = [
        {"label": label, "url": reverse(name), "help": help_text}
        for label, name, help_text, roles in INDEX_LINKS
        if has_role(request.user, roles)
    ]
    return render(request, "ledger/index.html", {"links": links})


# --------------------------------------------------------------------------- accounts


@role_required(read=STAFF, write=TREASURY)
def accounts(request):
    if request.method == "POST":
        form = AccountCreateForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_error_message(form))
            return redirect("ledger:accounts")
        with application_errors_to_messages(request):
            acc = services.account_create(**form.service_kwargs(), by=request.user)
            messages.success(request, _("Akun %(a)s ditambahkan.") % {"a": acc})
        return redirect("ledger:accounts")
    all_accounts = list(Account.objects.order_by("code"))
    totals = totals_as_of(None)
    by_id = {a.pk: a for a in all_accounts}
    rows = []
    for acc in all_accounts:
        depth, p = 0, acc.parent_id
        while p and depth < 6:
            depth += 1
            p = by_id[p].parent_id if p in by_id else None
        d, c = totals.get(acc.pk, (Decimal("0"), Decimal("0")))
        rows.append(
            {"a": acc, "depth": depth, "balance": None if acc.is_group else acc.sign * (d - c)}
        )
    return render(
        request,
        "ledger/accounts.html",
        {
            "rows": rows,
            "groups": [a for a in all_accounts if a.is_group],
            "types": Account.Type.choices,
            "cash_flows": Account.CashFlow.choices,
            "can_write": has_role(request.user, TREASURY),
        },
    )


@role_required(read=STAFF, write=TREASURY)
def account_edit(request, pk: int):
    acc = get_object_or_404(Account, pk=pk)
    if request.method == "POST":
        action = AccountActionForm(request.POST)
        action.is_valid()
        form = AccountEditForm(request.POST)
        with application_errors_to_messages(request) as outcome:
            if action.cleaned_data.get("action") == "delete":
                services.account_delete(account=acc, by=request.user)
                messages.success(request, _("Akun dihapus."))
                return redirect("ledger:accounts")
            if form.is_valid():
                services.account_update(account=acc, by=request.user, **form.service_kwargs())
        if not outcome.ok:
            return redirect("ledger:account_edit", pk=acc.pk)
        if form.errors:
            messages.error(request, form_error_message(form))
            return redirect("ledger:account_edit", pk=acc.pk)
        messages.success(request, _("Akun disimpan."))
        return redirect("ledger:accounts")
    return render(
        request,
        "ledger/account_edit.html",
        {
            "a": acc,
            "types": Account.Type.choices,
            "cash_flows": Account.CashFlow.choices,
            "roles": acc.accountrole_set.all(),
            "has_postings": acc.lines.exists(),
        },
    )


# --------------------------------------------------------------------------- journal


SOURCE_LABELS = dict(JournalEntry.Source.choices)
# the journal as a file: one row per line, so the debits and credits add up in a sheet
JOURNAL_COLUMNS = [
    Column(gettext_lazy("Nomor"), lambda ln: str(ln.entry)),
    Column(gettext_lazy("Tanggal"), "entry.date"),
    Column(gettext_lazy("Uraian"), "entry.description"),
    Column(gettext_lazy("Sumber"), lambda ln: SOURCE_LABELS.get(ln.entry.source, ln.entry.source)),
    Column(gettext_lazy("Referensi"), "entry.source_ref"),
    Column(gettext_lazy("Kode akun"), "account.code"),
    Column(gettext_lazy("Nama akun"), "account.name"),
    Column(gettext_lazy("Debit"), "debit", money=True),
    Column(gettext_lazy("Kredit"), "credit", money=True),
    Column(gettext_lazy("Keterangan"), "memo"),
    # the line's member as the batches and cards name them ("A00001 Nama"; set per
    # export from one query: ``_journal_member_labels``)
    Column(gettext_lazy("Anggota"), lambda ln: getattr(ln, "member_label", "")),
    # who posted the entry, as the journal screen shows it (none: a system posting)
    Column(gettext_lazy("Oleh"), lambda ln: str(ln.entry.created_by or _("sistem"))),
]


def _journal_heading(date_from, date_to, *, source: str, q: str) -> list[str]:
    """The journal XLSX's title lines: cooperative, title, the dates and filters chosen,
    when printed (as the report files say)."""
    if date_from or date_to:
        period = _("Periode: %(f)s s.d. %(t)s") % {
            "f": format_tanggal(date_from) if date_from else "…",
            "t": format_tanggal(date_to) if date_to else "…",
        }
    else:
        period = _("Periode: semua tanggal")
    lines = [getattr(connection.tenant, "name", ""), _("Jurnal umum"), period]
    filters = [str(SOURCE_LABELS.get(source, source))] if source else []
    filters += [q] if q else []
    if filters:
        lines.append(_("Saringan: %(f)s") % {"f": "; ".join(filters)})
    printed = format_waktu(timezone.localtime())
    lines.append(_("Dicetak %(at)s") % {"at": printed})
    return lines


def _with_member_labels(lines, labels: dict[int, str]):
    for ln in lines:
        ln.member_label = labels.get(ln.member_id, "") if ln.member_id else ""
        yield ln


@role_required(read=STAFF, write=TREASURY)
def journal(request):
    qs = JournalEntry.objects.select_related("created_by").order_by(
        "-date", "-fiscal_year", "-number"
    )
    rng_from = _bounded(request, request.GET.get("date_from"), "date_from")
    rng_to = _bounded(request, request.GET.get("date_to"), "date_to")
    if rng_from and rng_to and rng_from > rng_to:
        # picked the wrong way round: the range between them, as the reports read it
        rng_from, rng_to = rng_to, rng_from
    if rng_from:
        qs = qs.filter(date__gte=rng_from)
    if rng_to:
        qs = qs.filter(date__lte=rng_to)
    source = request.GET.get("source") or ""
    if source:
        qs = qs.filter(source=source)
    q = (request.GET.get("q") or "").strip()
    if q:
        m = re.fullmatch(r"(?:JU-)?(\d{4})-(\d+)", q, flags=re.I)
        qs = (
            qs.filter(fiscal_year=int(m[1]), number=int(m[2]))
            if m and len(m[2]) <= 9
            else qs.filter(Q(description__icontains=q) | Q(source_ref__icontains=q))
        )
    if fmt := export_format(request):
        lines = (
            JournalLine.objects.filter(entry_id__in=qs.values("pk"))
            .select_related("entry__created_by", "account")
            .order_by("entry__date", "entry__fiscal_year", "entry__number", "id")
        )
        labels = member_labels(
            lines.exclude(member_id=None).values_list("member_id", flat=True).distinct()
        )
        return export_response(
            fmt=fmt,
            filename=f"jurnal-{timezone.localdate():%Y%m%d}",
            title=_("Jurnal umum"),
            columns=JOURNAL_COLUMNS,
            rows=_with_member_labels(lines.iterator(chunk_size=1000), labels),
            heading=_journal_heading(rng_from, rng_to, source=source, q=q),
        )
    # counts no further than it needs (a million-line journal: no COUNT(*) of it all)
    page = BoundedPaginator(qs, 50).get_page(request.GET.get("page"))
    pending = list(
        ManualEntryRequest.objects.filter(status=ManualEntryRequest.Status.PENDING).select_related(
            "requested_by"
        )
    )
    # one dated in the books closed already (old data) can only be rejected: said here,
    # by the request page's own check, before anyone opens it
    closed_until = services.books_closed_until() if pending else None
    for r in pending:
        r.reject_only = (
            _("hanya dapat ditolak: buku sudah ditutup sampai %(c)s")
            % {"c": format_tanggal(closed_until)}
            if services.manual_request_books_closed(r, closed_until=closed_until)
            else ""
        )
    return render(
        request,
        "ledger/journal.html",
        {
            "page": page,
            "sources": JournalEntry.Source.choices,
            "source": source,
            "q": q,
            "date_from": rng_from,
            "date_to": rng_to,
            "pending": pending,
            "can_post": has_role(request.user, TREASURY),
            "can_approve": has_role(request.user, APPROVERS),
        },
    )


@role_required(read=STAFF, write=TREASURY)
def entry_detail(request, pk: int):
    entry = get_object_or_404(JournalEntry.objects.select_related("created_by", "reverses"), pk=pk)
    if request.method == "POST":
        form = JournalReverseForm(request.POST)
        if not is_confirmed(request):
            return _confirm_reverse(request, entry, reason=form["reason"].value() or "")
        if not form.is_valid():
            messages.error(request, form_error_message(form))
            return redirect("ledger:entry", pk=entry.pk)
        with application_errors_to_messages(request) as outcome:
            rev = services.journal_reverse(
                entry=entry,
                on=services.date_in_range(form.cleaned_data["date"] or timezone.localdate()),
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        if not outcome.ok:
            return redirect("ledger:entry", pk=entry.pk)
        messages.success(request, _("Jurnal pembalik %(n)s diposting.") % {"n": rev})
        return redirect("ledger:entry", pk=rev.pk)
    lines = entry.lines.select_related("account").order_by("id")
    page = Paginator(lines, 200).get_page(request.GET.get("page"))
    # what an auditor follows from here: each line's member (as the batches and cards
    # name them, linked to their page), each account's buku besar on the entry's day,
    # and the payroll batch the entry posted or reversed
    labels = member_labels(ln.member_id for ln in page.object_list)
    member_head, _sep, member_tail = reverse("members:detail", args=[0]).rpartition("/0/")
    ledger_head, _sep, ledger_tail = reverse("ledger:account_ledger", args=[0]).rpartition("/0/")
    day = entry.date.isoformat()
    for ln in page.object_list:
        ln.member_label = labels.get(ln.member_id, ln.member_id or "")
        ln.member_url = f"{member_head}/{ln.member_id}/{member_tail}" if ln.member_id else ""
        ln.ledger_url = f"{ledger_head}/{ln.account_id}/{ledger_tail}?date_from={day}&date_to={day}"
    batch = payroll_batches_by_entry(entry_ids=[entry.pk]).get(entry.pk)
    return render(
        request,
        "ledger/entry.html",
        {
            "e": entry,
            "page": page,
            "batch": batch,
            "batch_url": batch.url_for(request.user) if batch else "",
            "reversal": entry.reversals.first(),
            "can_reverse": has_role(request.user, TREASURY),
            "module_owner": services.MODULE_OWNER_PAGES.get(entry.source),
            "today": timezone.localdate(),
            "total": sum((ln.debit for ln in entry.lines.all()), Decimal("0"))
            if page.paginator.count <= 2000
            else None,
        },
    )


def _confirm_reverse(request, entry: JournalEntry, *, reason: str):
    """A reversal posts every line of the entry the other way round: each line, and the
    total, before it is posted."""
    url = reverse("ledger:entry", args=[entry.pk])
    lines = []
    total = Decimal("0")
    for ln in entry.lines.select_related("account").order_by("id")[:50]:
        side = _("kredit") if ln.debit else _("debet")
        lines.append(
            ConfirmLine(f"{ln.account.code} {ln.account.name} ({side})", ln.debit or ln.credit)
        )
    total = sum((ln.debit for ln in entry.lines.all()), Decimal("0"))
    lines.append(ConfirmLine(_("Total dibalik"), total, strong=True))
    return confirmation_page(
        request,
        Confirmation(
            title=_("Konfirmasi jurnal pembalik %(n)s") % {"n": entry},
            intro=_("Alasan: %(r)s") % {"r": reason},
            lines=lines,
            action=url,
            back=url,
            button=_("Ya, posting pembalik %s") % format_rupiah(total),
            reverses=True,
            fields=carry(request, ("date", "reason")),
            danger=True,
        ),
    )


def _close_refusal(up_to: date) -> dict[str, str]:
    """What a registered close guard (an unfinished move-in) would refuse about closing
    the books up to ``up_to``, for the confirmation page: its message and the page where
    it is resolved; empty when the close may go ahead."""
    block = close_block(up_to)
    if block is None:
        return {}
    return {
        "refusal": str(block.error.message),
        "refusal_url": reverse(block.fix_url_name) if block.fix_url_name else "",
        "refusal_link": str(block.fix_label),
    }


def _confirm_close(request, form: PeriodActionForm):
    """Closing a month (nothing can be posted in it afterwards): the figures, before it
    is done. When a close guard would refuse it (an unfinished move-in), or manual entry
    requests dated up to its end still wait for approval, the page says so first, with
    where to resolve it, and offers no button to confirm (the service still
    refuses). A year is not closed here: see ``periods``."""
    url = reverse("ledger:periods")
    period = get_object_or_404(Period, pk=form.cleaned_data["period"])
    not_ended = services.period_not_ended(period)  # before its last day: not yet
    refusal = (
        {"refusal": str(not_ended.message)}
        if not_ended is not None
        else _close_refusal(period.end_date)
    )
    pending = services.period_pending_requests(period) if not refusal else None
    if pending is not None:  # requests to approve or reject first, in Jurnal umum
        refusal = {
            "refusal": str(pending.message),
            "refusal_url": reverse("ledger:journal"),
            "refusal_link": str(_("Buka Jurnal umum")),
        }
    a = period_activity(date_from=period.start_date, date_to=period.end_date)
    title = (
        _("Periode %(p)s belum dapat ditutup") if refusal else _("Konfirmasi tutup periode %(p)s")
    ) % {"p": format_bulan(period.start_date)}
    return confirmation_page(
        request,
        Confirmation(
            title=title,
            intro=_(
                "%(n)s jurnal di periode ini; setelah ditutup tidak ada posting bertanggal di dalamnya."
            )
            % {"n": a["entries"]},
            lines=[
                ConfirmLine(_("Total debet jurnal periode"), a["debit_total"]),
                ConfirmLine(_("Pendapatan"), a["income"]),
                ConfirmLine(_("Beban"), a["expense"]),
                ConfirmLine(_("Selisih pendapatan dan beban"), a["result"], strong=True),
            ],
            action=url,
            back=url,
            button=_("Ya, tutup periode"),
            fields=carry(request, ("action", "period", "year")),
            danger=True,
            undo=_(
                "Periode yang ditutup tidak menerima jurnal lagi. Admin dapat membukanya "
                "kembali dengan alasan (Buka kembali di halaman periode)."
            ),
            **refusal,
        ),
    )


@role_required(read=TREASURY, write=TREASURY)
def journal_new(request):
    accounts_list = Account.objects.filter(is_active=True, is_group=False).order_by("code")
    form = ManualEntryForm(request.POST or None, rows=MANUAL_ROWS)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, form_error_message(form))
        elif not submission_first(request):  # the same form sent again: nothing twice
            messages.warning(request, ALREADY_SENT)
            return redirect("ledger:journal")
        else:
            with application_errors_to_messages(request):
                on = services.date_in_range(form.cleaned_data["date"])
                out = services.manual_entry_submit(
                    on=on,
                    description=form.cleaned_data["description"],
                    lines=form.lines(),
                    by=request.user,
                )
                if isinstance(out, ManualEntryRequest):
                    messages.success(request, _("Jurnal manual menunggu persetujuan."))
                    return redirect("ledger:journal")
                messages.success(request, _("Jurnal %(n)s diposting.") % {"n": out})
                return redirect("ledger:entry", pk=out.pk)
    return render(
        request,
        "ledger/journal_new.html",
        {
            "rows": form.rows(),
            "form": form,
            "accounts": accounts_list,
            "approval": LedgerSettings.get().manual_entry_approval,
        },
    )


@role_required(read=APPROVERS, write=APPROVERS)
def manual_request(request, pk: int):
    req = get_object_or_404(ManualEntryRequest, pk=pk)
    if request.method == "POST":
        form = ManualRequestDecisionForm(request.POST)
        if not form.is_valid():  # text with a null character
            messages.error(request, form_error_message(form))
            return redirect("ledger:journal")
        with application_errors_to_messages(request):
            if form.cleaned_data["action"] == "approve":
                entry = services.manual_entry_approve(request=req, by=request.user)
                messages.success(
                    request, _("Disetujui dan diposting sebagai %(n)s.") % {"n": entry}
                )
                return redirect("ledger:entry", pk=entry.pk)
            services.manual_entry_reject(
                request=req, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, _("Permintaan ditolak."))
        return redirect("ledger:journal")
    # dated in the books closed already (old data): only the rejection is offered
    refusal = (
        services.manual_request_books_closed(req)
        if req.status == ManualEntryRequest.Status.PENDING
        else None
    )
    return render(
        request,
        "ledger/manual_request.html",
        {"r": req, "approve_refusal": str(refusal.message) if refusal else ""},
    )


# --------------------------------------------------------------------------- reports

# lazy: the names are read in the language of each request, not the one at import time
REPORTS = {
    "neraca": (gettext_lazy("Neraca"), "balance_sheet"),
    "neraca-saldo": (gettext_lazy("Neraca saldo"), "trial_balance"),
    "phu": (gettext_lazy("Laporan perhitungan hasil usaha"), "income_statement"),
    "perubahan-ekuitas": (gettext_lazy("Laporan perubahan ekuitas"), "equity_changes"),
    "arus-kas": (gettext_lazy("Laporan arus kas"), "cash_flow"),
}


def build_table(kind: str, rng: reports.Range) -> dict:
    one = timedelta(days=1)
    if kind == "neraca":
        return tables.balance_sheet_table(
            reports.balance_sheet(as_of=rng.date_to, compare_as_of=rng.date_from - one)
        )
    if kind == "neraca-saldo":
        return tables.trial_balance_table(
            reports.trial_balance(as_of=rng.date_to, compare_as_of=rng.date_from - one)
        )
    if kind == "phu":
        return tables.income_statement_table(
            reports.income_statement(date_from=rng.date_from, date_to=rng.date_to)
        )
    if kind == "perubahan-ekuitas":
        return tables.equity_changes_table(
            reports.equity_changes(date_from=rng.date_from, date_to=rng.date_to)
        )
    if kind == "arus-kas":
        return tables.cash_flow_table(
            reports.cash_flow(date_from=rng.date_from, date_to=rng.date_to)
        )
    raise Http404


def _deliver(
    request, table: dict, *, filename: str, landscape: bool = False, context: dict | None = None
):
    fmt = request.GET.get("format")
    if fmt == "pdf":
        resp = HttpResponse(
            exports.table_pdf(table, landscape=landscape), content_type="application/pdf"
        )
        resp["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
        return resp
    if fmt == "xlsx":
        resp = HttpResponse(
            exports.table_xlsx(table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return resp
    return render(
        request, "ledger/report.html", (context or {}) | {"table": tables.with_cell_kinds(table)}
    )


def _ledger_pick_list() -> list[dict]:
    """The posting accounts for the buku besar picker, each with its page's URL, made
    from one ``reverse()``: a ``{% url %}`` per option (50-odd) cost a few ms of each page
    showing the picker."""
    head, _sep, tail = reverse("ledger:account_ledger", args=[0]).rpartition("/0/")
    return [
        {"pk": pk, "code": code, "name": name, "url": f"{head}/{pk}/{tail}"}
        for pk, code, name in Account.objects.filter(is_group=False)
        .order_by("code")
        .values_list("pk", "code", "name")
    ]


@role_required(read=STAFF, write=frozenset())
def reports_index(request):
    rng = _range(request)
    return render(
        request,
        "ledger/reports.html",
        {
            "reports": [(k, v[0]) for k, v in REPORTS.items()],
            "date_from": rng.date_from,
            "date_to": rng.date_to,
            "accounts": _ledger_pick_list(),
        },
    )


@role_required(read=STAFF, write=frozenset())
def report(request, kind: str):
    if kind not in REPORTS:
        raise Http404
    rng = _range(request)
    if request.GET.get("format") == "pdf":
        # the PDF is the cooperative's Indonesian document (letterhead, signatures):
        # its table in Indonesian too, whatever the reader's language
        with translation.override("id"):
            table = build_table(kind, rng)
    else:
        table = build_table(kind, rng)
    return _deliver(
        request,
        table,
        filename=f"{kind}-{rng.date_to.isoformat()}",
        landscape=kind in ("neraca-saldo", "perubahan-ekuitas"),
        context={
            "kind": kind,
            "date_from": rng.date_from,
            "date_to": rng.date_to,
            "reports": REPORTS.items(),
        },
    )


@role_required(read=STAFF, write=frozenset())
def account_ledger(request, pk: int):
    """The buku besar of one account: 100 lines a page on screen; the PDF and XLSX hold
    every line of the range (a PDF of more than ``LEDGER_PDF_MAX_LINES`` is refused with
    a message: the XLSX or a shorter period). An XLSX of more than
    ``LEDGER_XLSX_SYNC_MAX_LINES`` lines is built in the background and listed on the
    page with the reader's other recent files of the account: asked for by a POST
    (``account_ledger_export_request``, the page's XLSX button for such a range); a GET
    only reads."""
    acc = get_object_or_404(Account, pk=pk)
    rng = _range(request)
    fmt = request.GET.get("format")
    if fmt in ("pdf", "xlsx"):
        # The line count alone decides: a background file's head (opening balance,
        # totals, sen) is computed by its task, once; a refused PDF needs none.
        count = reports.general_ledger_line_count(
            account=acc, date_from=rng.date_from, date_to=rng.date_to
        )
        if fmt == "xlsx" and count > settings.LEDGER_XLSX_SYNC_MAX_LINES:
            # a link (another site's too) queues nothing: the page's button asks
            messages.info(
                request,
                _(
                    "Buku besar periode ini %(n)s baris: berkas XLSX-nya disiapkan di "
                    "latar belakang. Tekan XLSX di halaman ini untuk memintanya."
                )
                % {"n": number_format(count, force_grouping=True)},
            )
            query = request.GET.copy()
            query.pop("format")
            return redirect(f"{request.path}?{query.urlencode()}")
        if fmt == "pdf" and count > settings.LEDGER_PDF_MAX_LINES:
            messages.error(
                request,
                _(
                    "Buku besar periode ini %(n)s baris, terlalu panjang untuk PDF (paling "
                    "banyak %(max)s baris): unduh XLSX atau persempit periodenya."
                )
                % {
                    "n": number_format(count, force_grouping=True),
                    "max": number_format(settings.LEDGER_PDF_MAX_LINES, force_grouping=True),
                },
            )
            query = request.GET.copy()
            query.pop("format")
            return redirect(f"{request.path}?{query.urlencode()}")
        data = reports.general_ledger_all(account=acc, date_from=rng.date_from, date_to=rng.date_to)
    else:
        try:
            page = int(request.GET.get("page") or 1)
        except ValueError:
            page = 1
        data = reports.general_ledger(
            account=acc, date_from=rng.date_from, date_to=rng.date_to, page=page
        )
    table = tables.general_ledger_table(data)
    return _deliver(
        request,
        table,
        filename=f"buku-besar-{acc.code}-{rng.date_to.isoformat()}",
        landscape=True,
        context={
            "account": acc,
            "ledger": data,
            "date_from": rng.date_from,
            "date_to": rng.date_to,
            "accounts": _ledger_pick_list(),
            "exports": _ledger_exports_of(request, acc) if fmt not in ("pdf", "xlsx") else [],
            "xlsx_in_background": data["count"] > settings.LEDGER_XLSX_SYNC_MAX_LINES,
            "exports_keep_days": settings.LEDGER_EXPORT_KEEP_DAYS,
        },
    )


# Who sees every user's background files of an account (the others see their own).
EXPORTS_SEEN_BY_ALL = TREASURY | {"pengawas"}


def _ledger_exports_visible(request):
    qs = LedgerExport.objects.select_related("requested_by")
    if not has_role(request.user, EXPORTS_SEEN_BY_ALL):
        qs = qs.filter(requested_by=request.user)
    return qs


def _ledger_exports_of(request, acc: Account) -> list[LedgerExport]:
    exports = list(_ledger_exports_visible(request).filter(account=acc)[:10])
    for e in exports:  # why a failed one failed, in the reader's language
        failed = e.status == LedgerExport.Status.FAILED
        e.error_shown = services.ledger_export_error_shown(e) if failed else ""
    return exports


@require_POST
@role_required(read=STAFF, write=STAFF)  # a file of what the reader reads, pengawas too
def account_ledger_export_request(request, pk: int):
    """The page's XLSX button (and *coba lagi*) for a range longer than
    ``LEDGER_XLSX_SYNC_MAX_LINES``: records a background XLSX and queues its task at
    commit (``services.ledger_export_request``); a shorter range goes to the download."""
    acc = get_object_or_404(Account, pk=pk)
    rng = _range(request, request.POST)
    count = reports.general_ledger_line_count(
        account=acc, date_from=rng.date_from, date_to=rng.date_to
    )
    query = f"date_from={rng.date_from.isoformat()}&date_to={rng.date_to.isoformat()}"
    if count <= settings.LEDGER_XLSX_SYNC_MAX_LINES:
        return redirect(f"{reverse('ledger:account_ledger', args=[acc.pk])}?{query}&format=xlsx")
    return _ledger_export_request(request, acc, rng, count, query=query)


def _ledger_export_request(request, acc: Account, rng, count: int, *, query: str):
    export, created = services.ledger_export_request(
        account=acc,
        date_from=rng.date_from,
        date_to=rng.date_to,
        line_count=count,
        by=request.user,
    )
    n = number_format(count, force_grouping=True)
    if created:
        messages.info(
            request,
            _(
                "Buku besar periode ini %(n)s baris: berkas XLSX-nya sedang disiapkan dan "
                "akan muncul di halaman ini (muat ulang halaman beberapa saat lagi)."
            )
            % {"n": n},
        )
    else:
        messages.info(
            request,
            _(
                "Berkas XLSX buku besar periode ini (%(n)s baris) masih disiapkan dan akan "
                "muncul di halaman ini."
            )
            % {"n": n},
        )
    return redirect(f"{reverse('ledger:account_ledger', args=[acc.pk])}?{query}")


@role_required(read=STAFF, write=frozenset())
def account_ledger_export(request, pk: int, export_pk: int):
    """The file of a background buku besar XLSX (seen by whoever sees it on the page),
    as an attachment ``buku-besar-<code>-<from>-<to>.xlsx``."""
    export = get_object_or_404(
        _ledger_exports_visible(request).select_related("account"),
        pk=export_pk,
        account_id=pk,
        status=LedgerExport.Status.READY,
    )
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    services.ledger_export_download(export=export, by=request.user)
    code = re.sub(r"[^0-9A-Za-z._-]+", "-", export.account.code)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"buku-besar-{code}-{export.date_from.isoformat()}-{export.date_to.isoformat()}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --------------------------------------------------------------------------- periods


@role_required(read=STAFF, write=TREASURY)
def periods(request):
    if request.method == "POST":
        form = PeriodActionForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                _("Tahun tidak valid.")  # a period or year that is not a number
                if {"period", "year"} & set(form.errors)
                else form_error_message(form),
            )
            return redirect("ledger:periods")
        action = form.cleaned_data["action"]
        if action == "close_year":
            # A year closes only through the year end (checklist, income tax, SHU belum
            # dibagi, its YearEnd row), confirmed or not: the ledger's close alone would
            # leave books without them. Without a year-end page configured it refuses.
            fy = get_object_or_404(FiscalYear, pk=form.cleaned_data["year"])
            elsewhere = _("Tahun buku ditutup lewat menu Tutup Buku (daftar periksa, pajak, SHU).")
            if not settings.LEDGER_YEAR_CLOSE_URL:
                messages.error(request, elsewhere)
                return redirect("ledger:periods")
            messages.info(request, elsewhere)
            return redirect(settings.LEDGER_YEAR_CLOSE_URL.format(year=fy.year))
        if action == "close" and not is_confirmed(request):
            return _confirm_close(request, form)
        with application_errors_to_messages(request):
            if action == "close":
                p = services.period_close(
                    period=get_object_or_404(Period, pk=form.cleaned_data["period"]),
                    by=request.user,
                )
                messages.success(
                    request, _("Periode %(p)s ditutup.") % {"p": format_bulan(p.start_date)}
                )
            elif action == "reopen":
                p = services.period_reopen(
                    period=get_object_or_404(Period, pk=form.cleaned_data["period"]),
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
                messages.success(
                    request, _("Periode %(p)s dibuka kembali.") % {"p": format_bulan(p.start_date)}
                )
            elif action == "open_year":
                year_form = FiscalYearOpenForm(request.POST)
                if not year_form.is_valid():
                    messages.error(request, _("Tahun tidak valid."))
                    return redirect("ledger:periods")
                fy = services.fiscal_year_ensure(year=year_form.cleaned_data["year_number"])
                messages.success(request, _("Tahun buku %(y)s tersedia.") % {"y": fy})
            elif action == "settings":
                settings_form = LedgerSettingsForm(request.POST)
                if not settings_form.is_valid():
                    messages.error(request, form_error_message(settings_form))
                    return redirect("ledger:periods")
                services.ledger_settings_update(by=request.user, **settings_form.service_kwargs())
                messages.success(request, _("Pengaturan buku besar disimpan."))
            else:
                raise Http404
        return redirect("ledger:periods")
    years = list(FiscalYear.objects.prefetch_related("periods").order_by("-year"))
    today = timezone.localdate()
    for fy in years:
        for p in fy.periods.all():
            # a month that has not ended offers no close: the page says when it can be
            p.closable_from = format_tanggal(p.end_date) if p.end_date > today else ""
        fy.close_url = (
            settings.LEDGER_YEAR_CLOSE_URL.format(year=fy.year)
            if settings.LEDGER_YEAR_CLOSE_URL
            else ""
        )
    return render(
        request,
        "ledger/periods.html",
        {
            "years": years,
            "settings_row": LedgerSettings.get(),
            "capital_choices": LedgerSettings.CapitalAs.choices,
            "is_admin": has_role(request.user, SETTINGS_ADMINS),
            "can_close": has_role(request.user, TREASURY),
        },
    )
