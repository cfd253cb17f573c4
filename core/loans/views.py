"""HTML screens of core.loans: list, simulation, application, detail with the workflow
actions, repayment receipt, products, reports (HTML / PDF / XLSX). Each view validates
input, calls one service or selector, and turns ApplicationError into a form error."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.common.confirm import (
    Confirmation,
    ConfirmLine,
    carry,
    confirmation_page,
    is_confirmed,
)
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, CommonErrors
from core.common.exports import Column, export_format, export_response
from core.common.fields import RupiahField
from core.common.forms import application_errors_to, application_errors_to_messages
from core.common.money import RupiahError, format_rupiah, parse_rupiah
from core.common.pdf import render_pdf
from core.common.permissions import STAFF, role_required
from core.common.submission import ALREADY_SENT, submission_first
from core.ledger.models import JournalEntry
from core.members.models import Member

from . import reports as rep
from . import services as svc
from .arrears_asof import ARREARS_RUN_ROLES, arrears_run_dates, loans_arrears_run
from .models import (
    KOLEK_CHOICES,
    ArrearsRun,
    Loan,
    LoanDocument,
    LoanProduct,
    LoanRecovery,
    LoanSettings,
    Repayment,
)
from .selectors import (
    FEE_LABELS,
    collectibility_grading,
    collectibility_summary,
    grade_note,
    grade_row_note,
    grades_as_of,
    loan_decision_data,
    loan_disbursement_preview,
    loan_grade_date,
    loan_history,
    loan_list,
    loan_repayments,
    loan_schedule,
    loan_schedule_for_print,
    loan_schedule_history,
    loan_voucher_number,
    loans_with_grade_dates,
    repayments_name,
)
from .services.applications import product_fees
from .services.common import DISBURSE_ROLES, REPAY_ROLES
from .services.disbursement import check_not_before_approval

ALL_STAFF = STAFF


# --- forms --------------------------------------------------------------------------


class ProductChoiceField(forms.ModelChoiceField):
    """A product offered with its rate and period ("Pinjaman Umum — jasa 1% per bulan")."""

    def label_from_instance(self, obj: LoanProduct) -> str:
        return obj.choice_label


class SimulateForm(forms.Form):
    product = ProductChoiceField(
        queryset=LoanProduct.objects.filter(is_active=True), label=gettext_lazy("Produk")
    )
    principal = RupiahField(label=gettext_lazy("Jumlah pinjaman (Rp)"), min_value=1)
    tenor = forms.IntegerField(label=gettext_lazy("Tenor (bulan)"), min_value=1)


class ApplyForm(SimulateForm):
    member_number = forms.CharField(label=gettext_lazy("Nomor anggota"), max_length=30)
    # a paper form entered later carries the day the member applied (the service refuses
    # a day in the future or before the member joined)
    applied_on = forms.DateField(
        label=gettext_lazy("Tanggal pengajuan"),
        required=False,
        help_text=gettext_lazy("Tanggal pada formulir permohonan; kosong berarti hari ini."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    purpose = forms.CharField(label=gettext_lazy("Keperluan"), max_length=300, required=False)
    topup_of = forms.CharField(
        label=gettext_lazy("Top-up atas pinjaman (nomor, opsional)"), max_length=30, required=False
    )
    application_letter = forms.FileField(label=gettext_lazy("Surat permohonan"))
    payslip = forms.FileField(label=gettext_lazy("Slip gaji"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["applied_on"].initial = today
        self.fields["applied_on"].widget.attrs["max"] = today.isoformat()


class ProductForm(forms.ModelForm):
    min_amount = RupiahField(label=gettext_lazy("Plafon minimum"), min_value=0)
    max_amount = RupiahField(label=gettext_lazy("Plafon maksimum"), min_value=0)

    class Meta:
        model = LoanProduct
        fields = list(svc.PRODUCT_FIELDS)

    def clean(self):
        cd = super().clean()
        for field, message in svc.product_range_errors(
            min_amount=cd.get("min_amount"),
            max_amount=cd.get("max_amount"),
            min_tenor=cd.get("min_tenor"),
            max_tenor=cd.get("max_tenor"),
        ).items():
            self.add_error(field, message)
        return cd


def _parse_date(value: str, default: date | None, *, label: str = "") -> date | None:
    """A date typed in a form (YYYY-MM-DD from a date input); empty -> ``default``;
    anything else a clear error (never silently today)."""
    value = (value or "").strip()
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApplicationError(
            svc.LoanErrors.DATE_INVALID,
            _("%(label)s bukan tanggal yang valid (format TTTT-BB-HH).")
            % {"label": label or _("Tanggal")},
        )


# --- list / detail ------------------------------------------------------------------


LOAN_COLUMNS = [
    Column(gettext_lazy("Nomor"), "number"),
    Column(gettext_lazy("Nomor anggota"), "member.number"),
    Column(gettext_lazy("Nama"), "member.full_name"),
    Column("NIP", "member.nip"),
    Column(gettext_lazy("Produk"), "product.name"),
    Column(gettext_lazy("Status"), lambda ln: ln.status_label),
    Column(gettext_lazy("Pokok"), "principal", money=True),
    Column(gettext_lazy("Tenor (bulan)"), "tenor"),
    Column(gettext_lazy("Jasa (%)"), "rate"),
    Column(gettext_lazy("Tanggal pengajuan"), "applied_on"),
    Column(gettext_lazy("Tanggal pencairan"), "disbursed_on"),
    Column(gettext_lazy("Sisa pokok"), "principal_outstanding", money=True),
    Column(gettext_lazy("Hari tunggakan"), "days_past_due"),
    Column(
        gettext_lazy("Kolektibilitas"),
        lambda ln: ln.get_kolektibilitas_display() if ln.is_running else "",
    ),
    # as the list's grade column: the daily arrears run that set the grade, and the
    # row's note (not graded yet, a top-up's inherited grade, paid since)
    Column(gettext_lazy("Kolektibilitas dinilai per"), "graded_on"),
    Column(gettext_lazy("Catatan kolektibilitas"), grade_row_note),
    Column(gettext_lazy("Tanggal lunas"), "closed_on"),
]


@role_required(read=ALL_STAFF)
def loan_list_view(request):
    """All loans, filtered by status and text; ``export=xlsx|csv`` gives the same rows."""
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    # the page and its files: the same rows, each with when its grade was set
    loans = loans_with_grade_dates(loan_list(status=status, q=q).select_related("topup_of"))
    if fmt := export_format(request):
        return export_response(
            fmt=fmt,
            filename=f"pinjaman-{timezone.localdate():%Y%m%d}",
            title=_("Pinjaman"),
            columns=LOAN_COLUMNS,
            rows=loans.iterator(chunk_size=500),
        )
    page = Paginator(loans, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "loans/list.html",
        {
            "page": page,
            "grades_on": grades_as_of(page.object_list),
            "status": status,
            "q": q,
            "statuses": Loan.Status.choices,
            "summary": collectibility_summary(),
            # the NPL box's grades: which daily run set them, and what it did not grade
            "grading": collectibility_grading(),
        },
    )


DECIDING = (Loan.Status.APPLIED, Loan.Status.VERIFIED, Loan.Status.APPROVED)


@role_required(read=ALL_STAFF)
def loan_detail_view(request, pk: int):
    loan = get_object_or_404(Loan.objects.select_related("member", "product", "topup_of"), pk=pk)
    today = timezone.localdate()
    # Each of the loan's rows read once: the current schedule also gives the open rows of
    # the dues and the payoff quote, the repayments the latest one not reversed. The
    # documents and reschedules are the loan's own, in id order (no join to the loan for
    # the models' ``("loan", "id")`` ordering).
    rows = list(loan_schedule(loan))
    repayments = loan_repayments(loan)
    _batch_links(repayments, request.user)
    ctx = {
        "loan": loan,
        "rows": rows,
        "history": loan_schedule_history(loan, repayments=repayments),
        "repayments": repayments,
        "documents": loan.documents.order_by("id"),
        "reschedules": loan.reschedules.order_by("id"),
        "probation": LoanSettings.get().restructure_probation_instalments,
        "today": today,
        "role": request.user.role,
        "excess_choices": Repayment.ExcessTo.choices[1:],
        "audit_history": loan_history(loan),
    }
    if loan.status in DECIDING:
        ctx["decision"] = loan_decision_data(loan, on=today)
    if loan.is_running:
        ctx["grade_date"] = loan_grade_date(loan)
        ctx["grade_note"] = grade_note(loan, ctx["grade_date"])
        open_rows = sorted((r for r in rows if not r.settled), key=lambda r: r.number)
        ctx["dues"] = svc.loan_dues(loan, today, open_rows)
        ctx["quote"] = svc.loan_payoff_quote(loan=loan, on=today, rows=open_rows)
        # what the member's sukarela may pay of it (balance less the minimum), offered
        # for the payoff when it covers the total
        account = svc.member_sukarela_account(loan.member)
        if account is not None:
            ctx["sukarela_usable"] = svc.sukarela_usable(account)
            ctx["sukarela_balance"] = account.balance
    if request.user.role in svc.DISBURSE_ROLES:
        # the one repayment that can be reversed now (the latest not reversed), if any
        latest = max(
            (r for r in repayments if not hasattr(r, "reversal")),
            key=lambda r: r.pk,
            default=None,
        )
        refusal = svc.repayment_reversal_refusal(latest) if latest is not None else None
        if latest is not None and refusal is None:
            ctx["reversible_repayment"] = latest.pk
        elif refusal is not None and refusal.code == svc.LoanErrors.REVERSAL_PERIOD_CLOSED:
            # said in place of the button (not after a reason and a confirmation)
            ctx["reversal_refused"] = refusal.message
        if loan.is_running and svc.disbursement_reversal_refusal(loan) is None:
            ctx["disbursement_reversible"] = True
    if loan.is_running and request.user.role in svc.WRITE_OFF_ROLES:
        ctx["write_off_allowed"] = svc.write_off_refusal(loan) is None
    if loan.closed_by == Loan.ClosedBy.WRITEOFF:
        ctx["write_off"] = svc.write_off_summary(loan)
        if ctx["write_off"] and request.user.role in svc.WRITE_OFF_ROLES:
            wo = ctx["write_off"]["write_off"]
            ctx["write_off_reversible"] = svc.write_off_reversal_refusal(wo) is None
        ctx["recovery_allowed"] = request.user.role in svc.RECOVERY_ROLES
        if ctx["write_off"] and request.user.role in svc.RECOVERY_REVERSE_ROLES:
            ctx["recovery_reversible"] = {
                r.pk
                for r in ctx["write_off"]["recoveries"]
                if svc.recovery_reversal_refusal(r) is None
            }
    return render(request, "loans/detail.html", ctx)


ACTIONS = {
    "verify",
    "approve",
    "reject",
    "disburse",
    "repay",
    "payoff",
    "reschedule",
    "reverse-disbursement",
    "write-off",
    "reverse-write-off",
    "recover",
}


@role_required(read=ALL_STAFF)
def loan_action_view(request, pk: int, action: str):
    if request.method != "POST" or action not in ACTIONS:
        raise Http404
    loan = get_object_or_404(Loan, pk=pk)
    p = request.POST
    by = request.user
    today = timezone.localdate()
    with application_errors_to_messages(request):
        on = _parse_date(p.get("on", ""), today)
        if action in CONFIRM_FIRST and not is_confirmed(request):
            return _confirm(request, loan, action, on)
        if action == "verify":
            svc.loan_verify(loan=loan, by=by, note=p.get("note", ""), on=on)
            messages.success(request, _("Pengajuan diverifikasi."))
        elif action == "approve":
            svc.loan_approve(loan=loan, by=by, note=p.get("note", ""), on=on)
            messages.success(request, _("Pengajuan disetujui."))
        elif action == "reject":
            svc.loan_reject(loan=loan, by=by, reason=p.get("reason", ""))
            messages.success(request, _("Pengajuan ditolak."))
        elif action == "disburse":
            svc.loan_disburse(
                loan=loan,
                by=by,
                on=on,
                via=p.get("via", "cash"),
                first_due_date=_parse_date(
                    p.get("first_due_date", ""), None, label=_("Jatuh tempo pertama")
                ),
            )
            messages.success(request, _("Pinjaman dicairkan."))
        elif action == "repay":
            if not submission_first(request):
                messages.warning(request, ALREADY_SENT)
                return redirect("loans:detail", pk=loan.pk)
            r = svc.loan_repay(
                loan=loan,
                amount=_rupiah(p.get("amount")),
                by=by,
                on=on,
                channel=p.get("channel", "counter"),
                excess_to=p.get("excess_to", ""),
                source=p.get("source", ""),
            )
            messages.success(request, _("Pembayaran diterima, kuitansi %s.") % r.receipt_number)
            return redirect("loans:receipt", pk=r.pk)
        elif action == "payoff":
            r = svc.loan_payoff(
                loan=loan,
                by=by,
                on=on,
                channel=p.get("channel", "counter"),
                source=p.get("source", ""),
            )
            messages.success(request, _("Pinjaman dilunasi, kuitansi %s.") % r.receipt_number)
            return redirect("loans:receipt", pk=r.pk)
        elif action == "reschedule":
            svc.loan_reschedule(
                loan=loan,
                by=by,
                on=on,
                tenor=p.get("tenor"),
                rate=p.get("rate") or None,
                reason=p.get("reason", ""),
                first_due_date=_parse_date(
                    p.get("first_due_date", ""), None, label=_("Jatuh tempo pertama")
                ),
            )
            messages.success(request, _("Pinjaman dijadwal ulang."))
        elif action == "reverse-disbursement":
            svc.loan_disbursement_reverse(loan=loan, by=by, reason=p.get("reason", ""))
            messages.success(
                request, _("Pencairan dibatalkan; pinjaman kembali berstatus disetujui.")
            )
        elif action == "write-off":
            svc.loan_write_off(
                loan=loan,
                by=by,
                on=on,
                reason=p.get("reason", ""),
                decision_ref=p.get("decision_ref", ""),
            )
            messages.success(request, _("Pinjaman dihapusbukukan."))
        elif action == "reverse-write-off":
            wo = svc.write_off_in_force(loan)
            if wo is None:
                raise ApplicationError(
                    svc.LoanErrors.NOT_WRITTEN_OFF, _("Pinjaman ini tidak dihapusbukukan.")
                )
            svc.loan_write_off_reverse(write_off=wo, by=by, reason=p.get("reason", ""), on=on)
            messages.success(request, _("Hapus buku dibatalkan; pinjaman kembali berjalan."))
        elif action == "recover":
            if not submission_first(request):
                messages.warning(request, ALREADY_SENT)
                return redirect("loans:detail", pk=loan.pk)
            rec = svc.loan_recovery_receive(
                loan=loan,
                amount=_rupiah(p.get("amount")),
                by=by,
                on=on,
                channel=p.get("channel", "counter"),
            )
            messages.success(
                request,
                _("Penerimaan pinjaman dihapusbukukan dicatat, kuitansi %s.") % rec.receipt_number,
            )
            return redirect("loans:recovery_receipt", pk=rec.pk)
    return redirect("loans:detail", pk=loan.pk)


CONFIRM_FIRST = {"disburse", "payoff", "reverse-disbursement", "write-off"}


def _role_check(request, roles) -> None:
    """Before a confirmation is shown: refused when the user's role may not do what it
    confirms (the service asks again when it is done)."""
    if request.user.role not in roles:
        raise ApplicationError(
            svc.LoanErrors.PERMISSION, _("Peran Anda tidak berwenang untuk tindakan ini.")
        )


def _confirm(request, loan: Loan, action: str, on: date):
    """The confirmation of a disbursement (principal, each fee with what is left after
    it, the net paid out) or of an early payoff (each part and the total)."""
    back = reverse("loans:detail", args=[loan.pk])
    url = reverse("loans:action", args=[loan.pk, action])
    who = f"{loan.number} · {loan.member.number} {loan.member.full_name}"

    if action == "write-off":
        return _confirm_write_off(request, loan, on, url=url, back=back, who=who)
    _role_check(request, REPAY_ROLES if action == "payoff" else DISBURSE_ROLES)
    if action == "reverse-disbursement":
        return _confirm_disbursement_reversal(request, loan, url=url, back=back, who=who)
    if action == "disburse":
        if loan.status != Loan.Status.APPROVED:
            raise ApplicationError(svc.LoanErrors.NOT_APPROVED, _("Pinjaman belum disetujui."))
        check_not_before_approval(loan, on)  # said before asking, not after
        pv = loan_disbursement_preview(loan, on=on)
        lines = [ConfirmLine(_("Pokok pinjaman"), pv["principal"], after=pv["principal"])]
        lines += [ConfirmLine(str(s["label"]), s["amount"], after=s["after"]) for s in pv["steps"]]
        lines.append(ConfirmLine(_("Diterima bersih anggota"), pv["net"], strong=True))
        via = dict(Loan.Channel.choices).get(request.POST.get("via", ""), "")
        return confirmation_page(
            request,
            Confirmation(
                title=_("Konfirmasi pencairan %s") % loan.number,
                intro=_("%(w)s, tanggal %(d)s, melalui %(v)s.")
                % {"w": who, "d": format_tanggal(on), "v": via},
                lines=lines,
                notice=_topup_restructuring_notice(loan, pv["topup"]),
                action=url,
                back=back,
                button=_("Ya, cairkan %s") % format_rupiah(pv["net"]),
                fields=carry(request, ("on", "via", "first_due_date")),
            ),
        )
    if not loan.is_running:
        raise ApplicationError(svc.LoanErrors.NOT_RUNNING, _("Pinjaman tidak sedang berjalan."))
    q = svc.loan_payoff_quote(loan=loan, on=on)
    return confirmation_page(
        request,
        Confirmation(
            title=_("Konfirmasi pelunasan %s") % loan.number,
            intro=(
                _(
                    "%(w)s, tanggal %(d)s, dibayar dari simpanan sukarela anggota (tanpa uang tunai)."
                )
                if request.POST.get("source") == svc.SOURCE_SUKARELA
                else _("%(w)s, tanggal %(d)s.")
            )
            % {"w": who, "d": format_tanggal(on)},
            lines=[
                ConfirmLine(_("Denda"), q["penalty"]),
                ConfirmLine(_("Jasa"), q["jasa"]),
                ConfirmLine(_("Pokok"), q["principal"]),
                ConfirmLine(_("Penalti pelunasan dipercepat"), q["early_payoff_fee"]),
                *(
                    [ConfirmLine(_("Jasa dibayar di muka diperhitungkan"), -q["jasa_paid_ahead"])]
                    if q["jasa_paid_ahead"]
                    else []
                ),
                ConfirmLine(_("Total diterima"), q["total"], strong=True),
            ],
            note=_("Pinjaman ditutup; jasa angsuran yang belum jatuh tempo tidak ditagih."),
            action=url,
            back=back,
            button=_("Ya, lunasi %s") % format_rupiah(q["total"]),
            fields=carry(request, ("on", "channel", "source")),
            danger=True,
        ),
    )


def _confirm_write_off(request, loan: Loan, on: date, *, url: str, back: str, who: str):
    """The write-off's confirmation: what it books (the allowance used, the expense) and
    the board's decision, refused here already when it would be refused after."""
    _role_check(request, svc.WRITE_OFF_ROLES)
    refusal = svc.write_off_refusal(loan)
    if refusal is not None:
        raise refusal
    pv = svc.write_off_preview(loan)
    lines = [ConfirmLine(_("Sisa pokok dihapusbukukan"), pv["principal"])]
    if pv["jasa_receivable"]:
        lines.append(ConfirmLine(_("Piutang jasa dihapusbukukan"), pv["jasa_receivable"]))
    if pv["deferred_jasa"]:
        lines.append(ConfirmLine(_("Jasa ditangguhkan dibatalkan"), pv["deferred_jasa"]))
    lines += [
        ConfirmLine(_("Dibebankan ke PPAP (penyisihan pinjaman ini)"), pv["ppap_used"]),
        ConfirmLine(_("Beban PPAP tambahan"), pv["expense"]),
        ConfirmLine(_("Jumlah dihapusbukukan"), pv["total"], strong=True),
    ]
    p = request.POST
    return confirmation_page(
        request,
        Confirmation(
            title=_("Konfirmasi hapus buku %s") % loan.number,
            intro=_("%(w)s, tanggal %(d)s, keputusan pengurus %(k)s.")
            % {"w": who, "d": format_tanggal(on), "k": p.get("decision_ref", "")},
            lines=lines,
            note=_(
                "Pinjaman ditutup sebagai Dihapusbukukan dan tidak lagi ditagih melalui "
                "potong gaji; anggota tetap aktif. Penerimaan kemudian dicatat sebagai "
                "pendapatan lain-lain."
            ),
            action=url,
            back=back,
            button=_("Ya, hapus buku %s") % format_rupiah(pv["total"]),
            fields=carry(request, ("on", "reason", "decision_ref")),
            danger=True,
        ),
    )


def _topup_restructuring_notice(loan: Loan, topup: svc.TopupSettlement | None) -> str:
    """A top-up of a loan in arrears, or of a restructured loan still on its probation, is
    a restructuring: said before it is confirmed,
    with the jasa the new loan carries deferred and the grade it inherits, both as
    ``loan_disburse`` posts them (the same ``topup_settlement``). "" otherwise."""
    if topup is None or not topup.restructured:
        return ""
    figures = {
        "old": loan.topup_of.number,
        "cap": format_rupiah(topup.capitalised),
        "prev": format_rupiah(topup.old_deferred),
        "total": format_rupiah(topup.carried),
        "grade": dict(KOLEK_CHOICES)[topup.grade],
        "n": LoanSettings.get().restructure_probation_instalments,
    }
    if topup.probation:
        text = _probation_topup_notice(loan.topup_of, topup, figures)
    elif topup.old_deferred > 0:
        text = _(
            "Pinjaman lama %(old)s menunggak, jadi top-up ini adalah restrukturisasi. Jasa "
            "dan denda tertunggaknya %(cap)s tidak menjadi pendapatan: bersama jasa "
            "ditangguhkan pinjaman lama %(prev)s, pinjaman baru membawa %(total)s sebagai "
            "pendapatan jasa ditangguhkan (diakui saat pokoknya diangsur). Pinjaman baru "
            "berkolektibilitas %(grade)s sampai membayar %(n)s angsuran tepat waktu "
            "berturut-turut."
        )
    else:
        text = _(
            "Pinjaman lama %(old)s menunggak, jadi top-up ini adalah restrukturisasi. Jasa "
            "dan denda tertunggaknya %(cap)s tidak menjadi pendapatan: pinjaman baru "
            "membawanya sebagai pendapatan jasa ditangguhkan (diakui saat pokoknya "
            "diangsur). Pinjaman baru berkolektibilitas %(grade)s sampai membayar %(n)s "
            "angsuran tepat waktu berturut-turut."
        )
    if not topup.probation:
        text %= figures
    if topup.carried_penalty > 0:
        text += " " + _(
            "Denda di dalamnya, %(p)s, diakui sebagai pendapatan denda (lebih dulu), sisanya "
            "sebagai pendapatan jasa."
        ) % {"p": format_rupiah(topup.carried_penalty)}
    return text


def _probation_topup_notice(old: Loan, topup: svc.TopupSettlement, figures: dict) -> str:
    """The notice of a top-up of a restructured loan still on its probation (nothing
    overdue): why it is a restructuring, the deferred jasa carried, the grade kept."""
    text = _(
        "Pinjaman lama %(old)s direstrukturisasi %(d)s dan masih dalam masa percobaan "
        "(kolektibilitasnya dipertahankan sampai angsurannya dibayar tepat waktu), jadi "
        "top-up ini adalah restrukturisasi."
    ) % {"old": figures["old"], "d": format_tanggal(old.restructured_on)}
    if topup.carried > 0:
        text += " " + _(
            "Jasa ditangguhkan pinjaman lama %(prev)s tidak menjadi pendapatan saat "
            "pelunasan: pinjaman baru membawanya sebagai pendapatan jasa ditangguhkan "
            "(diakui saat pokoknya diangsur)."
        ) % {"prev": figures["prev"]}
    return (
        text
        + " "
        + _(
            "Pinjaman baru berkolektibilitas %(grade)s sampai membayar %(n)s angsuran tepat "
            "waktu berturut-turut; masa percobaannya dimulai lagi pada jadwal baru."
        )
        % figures
    )


def _entry_lines(entry) -> list[ConfirmLine]:
    """The lines of a journal entry, each as it will be taken back (debits and credits
    swapped) by its reversal."""
    out = []
    for ln in entry.lines.select_related("account").order_by("id"):
        side = _("kredit") if ln.debit else _("debit")
        out.append(
            ConfirmLine(f"{ln.account.code} {ln.account.name} ({side})", ln.debit or ln.credit)
        )
    return out


def _confirm_disbursement_reversal(request, loan: Loan, *, url: str, back: str, who: str):
    refusal = svc.disbursement_reversal_refusal(loan)
    if refusal is not None:
        raise refusal
    reason = svc.reversal_reason_clean(request.POST.get("reason", ""))
    entry = loan.disbursement_entry
    return confirmation_page(
        request,
        Confirmation(
            title=_("Konfirmasi pembatalan pencairan %s") % loan.number,
            intro=_("%(w)s, dicairkan %(d)s (jurnal %(e)s). Alasan: %(r)s")
            % {
                "w": who,
                "d": format_tanggal(loan.disbursed_on),
                "e": entry,
                "r": reason,
            },
            lines=[*_entry_lines(entry), ConfirmLine(_("Pokok pinjaman"), loan.principal, True)],
            note=_(
                "Jurnal pencairan dibalik (biaya, asuransi, dana risiko, wajib pinjam dan "
                "kas/bank ikut dibalik), wajib pinjam ditarik kembali dari simpanan anggota, "
                "jadwal angsuran disimpan sebagai riwayat, dan pinjaman kembali berstatus "
                "disetujui. Bukti pencairan tetap bernomor dan ditandai dibatalkan."
            ),
            action=url,
            back=back,
            button=_("Ya, batalkan pencairan %s") % format_rupiah(loan.principal),
            reverses=True,
            fields=carry(request, ("reason",)),
            danger=True,
        ),
    )


@role_required(read=ALL_STAFF)
def repayment_reverse_view(request, pk: int):
    """Reverse a counter/bank repayment or payoff: the first POST shows what the entry's
    reversal takes back; the confirmed POST reverses it."""
    if request.method != "POST":
        raise Http404
    rep = get_object_or_404(Repayment.objects.select_related("loan", "loan__member"), pk=pk)
    back = reverse("loans:detail", args=[rep.loan_id])
    with application_errors_to_messages(request):
        if not is_confirmed(request):
            _role_check(request, DISBURSE_ROLES)
            refusal = svc.repayment_reversal_refusal(rep)
            if refusal is not None:
                raise refusal
            reason = svc.reversal_reason_clean(request.POST.get("reason", ""))
            loan = rep.loan
            return confirmation_page(
                request,
                Confirmation(
                    title=_("Konfirmasi pembatalan pembayaran %s") % rep.receipt_number,
                    intro=_("%(n)s · %(m)s, dibayar %(d)s (%(k)s). Alasan: %(r)s")
                    % {
                        "n": loan.number,
                        "m": loan.member.full_name,
                        "d": format_tanggal(rep.paid_on),
                        "k": rep.get_kind_display(),
                        "r": reason,
                    },
                    lines=[
                        ConfirmLine(_("Denda"), rep.penalty + rep.early_payoff_fee),
                        ConfirmLine(_("Jasa"), rep.jasa),
                        ConfirmLine(_("Pokok"), rep.principal),
                        *(
                            [
                                ConfirmLine(
                                    _("Jasa dibayar di muka diperhitungkan"),
                                    -rep.jasa_ahead_credited,
                                )
                            ]
                            if rep.jasa_ahead_credited
                            else []
                        ),
                        ConfirmLine(_("Kelebihan"), rep.excess),
                        ConfirmLine(_("Jumlah dibatalkan"), rep.amount, strong=True),
                        ConfirmLine(
                            _("Sisa pokok sesudahnya"),
                            loan.principal_outstanding + rep.principal_shown,
                            strong=True,
                        ),
                    ],
                    note=" ".join(
                        [
                            _(
                                "Jurnalnya dibalik, angsuran yang dibayarnya kembali terbuka "
                                "(pinjaman yang lunas karenanya berjalan lagi) dan kelebihan ke "
                                "simpanan ditarik kembali. Kuitansi tetap ada dan ditandai "
                                "dibatalkan."
                            ),
                            *_schedule_restored_note(rep),
                        ]
                    ),
                    action=reverse("loans:repayment_reverse", args=[rep.pk]),
                    back=back,
                    button=_("Ya, batalkan %s") % format_rupiah(rep.amount),
                    reverses=True,
                    fields=carry(request, ("reason",)),
                    danger=True,
                ),
            )
        svc.loan_repayment_reverse(
            repayment=rep, by=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Pembayaran %s dibatalkan.") % rep.receipt_number)
    return redirect(back)


def _schedule_restored_note(rep: Repayment) -> list[str]:
    """What the reversal of a payment whose excess went to principal restores (the
    schedule it kept, ``Repayment.schedule_before``), said on its confirmation."""
    kept = rep.schedule_before
    if not kept:
        return []
    figures = {"k": len(kept["future"]), "e": format_rupiah(rep.excess)}
    if kept["version_to"]:
        return [
            _(
                "Jadwal angsuran dikembalikan seperti sebelum pembayaran ini: %(k)s angsuran "
                "yang dihitung ulang atas kelebihan %(e)s ke pokok kembali ke pokok dan jasa "
                "semula (jadwal hitungan ulang disimpan sebagai riwayat)."
            )
            % figures
        ]
    return [
        _(
            "Jadwal angsuran dikembalikan seperti sebelum pembayaran ini: %(k)s angsuran "
            "yang dilunasi oleh kelebihan %(e)s ke pokok terbuka lagi."
        )
        % figures
    ]


def _recovery_context(pk: int) -> dict:
    """A recovery's receipt (page and PDF): the recovery, its loan and write-off, and
    what remains written off today (recoveries not reversed)."""
    rec = get_object_or_404(
        LoanRecovery.objects.select_related(
            "loan", "loan__member__agency", "write_off", "entry", "by", "reversed_by"
        ),
        pk=pk,
    )
    wo = rec.write_off
    return {
        "r": rec,
        "loan": rec.loan,
        "wo": wo,
        "remaining": None if wo.reversal_entry_id else wo.amount - svc.write_off_recovered(wo),
        "today": timezone.localdate(),
    }


@role_required(read=ALL_STAFF)
def recovery_receipt_view(request, pk: int):
    """The receipt of money received on a written-off loan (the repayment receipt's
    layout); a reversed one says DIBATALKAN."""
    return render(request, "loans/recovery_receipt.html", _recovery_context(pk))


@role_required(read=ALL_STAFF)
def recovery_receipt_pdf(request, pk: int):
    """The recovery's receipt as a PDF to print or send (same content as the page)."""
    ctx = _recovery_context(pk)
    pdf = render_pdf("loans/recovery_receipt_pdf.html", ctx | {"printed_at": timezone.now()})
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{ctx["r"].receipt_number}.pdf"'
    return resp


@role_required(read=ALL_STAFF)
def recovery_reverse_view(request, pk: int):
    """Reverse a recovery on a written-off loan entered by mistake: the first POST shows
    what the reversal takes back; the confirmed POST reverses it."""
    if request.method != "POST":
        raise Http404
    rec = get_object_or_404(
        LoanRecovery.objects.select_related("loan", "loan__member", "write_off"), pk=pk
    )
    back = reverse("loans:detail", args=[rec.loan_id])
    with application_errors_to_messages(request):
        if not is_confirmed(request):
            _role_check(request, svc.RECOVERY_REVERSE_ROLES)
            refusal = svc.recovery_reversal_refusal(rec)
            if refusal is not None:
                raise refusal
            reason = svc.reversal_reason_clean(request.POST.get("reason", ""))
            remaining = svc.write_off_summary(rec.loan)["remaining"]
            return confirmation_page(
                request,
                Confirmation(
                    title=_("Konfirmasi pembatalan penerimaan %s") % rec.receipt_number,
                    intro=_("%(n)s · %(m)s, diterima %(d)s (%(k)s). Alasan: %(r)s")
                    % {
                        "n": rec.loan.number,
                        "m": rec.loan.member.full_name,
                        "d": format_tanggal(rec.paid_on),
                        "k": rec.get_channel_display(),
                        "r": reason,
                    },
                    lines=[
                        ConfirmLine(_("Jumlah dibatalkan"), rec.amount, strong=True),
                        ConfirmLine(
                            _("Sisa dihapusbukukan sesudahnya"), remaining + rec.amount, True
                        ),
                    ],
                    note=_(
                        "Jurnalnya (kas/bank dan pendapatan lain-lain) dibalik; pinjaman tetap "
                        "dihapusbukukan. Kuitansi tetap ada dan ditandai dibatalkan."
                    ),
                    action=reverse("loans:recovery_reverse", args=[rec.pk]),
                    back=back,
                    button=_("Ya, batalkan %s") % format_rupiah(rec.amount),
                    reverses=True,
                    fields=carry(request, ("reason",)),
                    danger=True,
                ),
            )
        svc.loan_recovery_reverse(
            recovery=rec, by=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Penerimaan %s dibatalkan.") % rec.receipt_number)
    return redirect(back)


def _rupiah(v):
    """A repayment typed at the counter, read with the one rupiah parser."""
    try:
        return parse_rupiah(v, field=_("Jumlah"), whole=False, allow_negative=True)
    except RupiahError as e:
        raise ApplicationError(
            CommonErrors.VALIDATION, e.text, fields={"amount": [e.text]}
        ) from None


def _batch_links(repayments: list[Repayment], user) -> None:
    """A payroll payment's document is its agency's batch: ``batch_url``, its page, when
    the user's role reads it ("" otherwise)."""
    for p in repayments:
        p.batch_url = p.payroll.url_for(user) if p.payroll else ""


@role_required(read=ALL_STAFF)
def receipt_view(request, pk: int):
    """The payment's receipt; a payment that issued none (a payroll batch's, a top-up's or
    an exit's settlement) is named by what it was, with no receipt number."""
    r = get_object_or_404(
        Repayment.objects.select_related("loan", "loan__member", "reversal"), pk=pk
    )
    repayments_name([r])
    _batch_links([r], request.user)
    return render(
        request, "loans/receipt.html", {"r": r, "loan": r.loan, "today": timezone.localdate()}
    )


@role_required(read=ALL_STAFF)
def receipt_pdf(request, pk: int):
    """The repayment receipt as a PDF to print or send (same content as the page)."""
    r = get_object_or_404(
        Repayment.objects.select_related(
            "loan", "loan__member__agency", "created_by", "entry", "reversal"
        ),
        pk=pk,
    )
    if not r.receipt_issued:
        # no PDF passing for a receipt of the series: the page says what the payment was
        return redirect("loans:receipt", pk=r.pk)
    pdf = render_pdf(
        "loans/receipt_pdf.html",
        {"r": r, "loan": r.loan, "today": timezone.localdate(), "printed_at": timezone.now()},
    )
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{r.receipt_number}.pdf"'
    return resp


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return resp


def _letter_context(loan: Loan) -> dict:
    schedule, totals = loan_schedule_for_print(loan)
    fees = (
        {n: getattr(loan, n) for n in LoanProduct.FEES}
        if loan.disbursed_on
        else product_fees(loan.product, loan.principal)
    )
    return {
        "loan": loan,
        "schedule": schedule,
        "totals": totals,
        "fees_total": sum(fees.values()),
        "fees": fees,
        "printed_at": timezone.now(),
    }


_LETTER_LOAN = Loan.objects.select_related(
    "member__agency", "product", "approved_by", "disbursed_by", "disbursement_entry", "topup_of"
)


@role_required(read=ALL_STAFF)
def agreement_pdf(request, pk: int):
    """The loan agreement (surat perjanjian pinjaman) on the cooperative's letterhead:
    the parties, the terms, the schedule and the signature lines. From approval on."""
    loan = get_object_or_404(_LETTER_LOAN, pk=pk)
    if loan.status in (Loan.Status.APPLIED, Loan.Status.VERIFIED, Loan.Status.REJECTED):
        raise Http404
    ctx = _letter_context(loan) | {"signed_on": loan.disbursed_on or timezone.localdate()}
    return _pdf_response(render_pdf("loans/agreement_pdf.html", ctx), f"perjanjian-{loan.number}")


@role_required(read=ALL_STAFF)
def voucher_pdf(request, pk: int):
    """The disbursement voucher (bukti pencairan): principal, each fee deducted, the net
    paid out, the schedule and the signature lines. Only for a disbursed loan."""
    loan = get_object_or_404(_LETTER_LOAN, pk=pk)
    if loan.disbursed_on is None:
        raise Http404
    ctx = _letter_context(loan)
    deductions = [(FEE_LABELS[n], a) for n, a in ctx["fees"].items() if a > 0]
    if loan.topup_settlement > 0:
        deductions.append(
            (
                _("Pelunasan pinjaman lama %(n)s") % {"n": loan.topup_of.number},
                loan.topup_settlement,
            )
        )
    voucher = loan_voucher_number(loan)
    ctx |= {"deductions": deductions, "voucher": voucher}
    return _pdf_response(render_pdf("loans/voucher_pdf.html", ctx), voucher or loan.number)


@role_required(read=ALL_STAFF)
def document_view(request, pk: int):
    doc = get_object_or_404(LoanDocument, pk=pk)

    return FileResponse(
        doc.file.open("rb"), as_attachment=True, filename=doc.file.name.rsplit("/", 1)[-1]
    )


# --- simulate / apply ---------------------------------------------------------------


@role_required(read=ALL_STAFF, write=ALL_STAFF)
def simulate_view(request):
    form = SimulateForm(request.POST or request.GET or None)
    sim = None
    if form.is_bound and form.is_valid():
        with application_errors_to(form):
            sim = svc.loan_simulate(
                product=form.cleaned_data["product"],
                principal=form.cleaned_data["principal"],
                tenor=form.cleaned_data["tenor"],
                on=timezone.localdate(),
            )
    return render(request, "loans/simulate.html", {"form": form, "sim": sim})


@role_required(read=ALL_STAFF, write=svc.APPLY_ROLES - {"anggota"})
def apply_view(request):
    form = ApplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        member = Member.objects.filter(number=cd["member_number"].strip()).first()
        topup = None
        if cd["topup_of"]:
            topup = Loan.objects.filter(number=cd["topup_of"].strip()).first()
        if member is None:
            form.add_error("member_number", _("Anggota tidak ditemukan."))
        elif cd["topup_of"] and topup is None:
            form.add_error("topup_of", _("Pinjaman tidak ditemukan."))
        elif not submission_first(request):
            messages.warning(request, ALREADY_SENT)
            return redirect("loans:list")
        else:
            with application_errors_to(form):
                loan = svc.loan_apply(
                    member=member,
                    product=cd["product"],
                    principal=cd["principal"],
                    tenor=cd["tenor"],
                    by=request.user,
                    on=cd["applied_on"],
                    purpose=cd["purpose"],
                    topup_of=topup,
                    documents=[
                        ("application_letter", cd["application_letter"]),
                        ("payslip", cd["payslip"]),
                    ],
                )
                messages.success(request, _("Pengajuan %s tersimpan.") % loan.number)
                return redirect("loans:detail", pk=loan.pk)
    return render(request, "loans/apply.html", {"form": form})


# --- products -----------------------------------------------------------------------


@role_required(read=ALL_STAFF, write=svc.PRODUCT_ROLES)
def products_view(request):
    return render(
        request,
        "loans/products.html",
        {"products": LoanProduct.objects.all(), "can_edit": request.user.role in svc.PRODUCT_ROLES},
    )


@role_required(read=svc.PRODUCT_ROLES, write=svc.PRODUCT_ROLES)
def product_edit_view(request, pk: int | None = None):
    product = get_object_or_404(LoanProduct, pk=pk) if pk else None
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in svc.PRODUCT_FIELDS}
        with application_errors_to(form):
            fresh = LoanProduct.objects.get(pk=pk) if pk else None
            svc.loan_product_save(by=request.user, product=fresh, **data)
            messages.success(request, _("Produk tersimpan."))
            return redirect("loans:products")
    return render(request, "loans/product_form.html", {"form": form, "product": product})


# --- settings -----------------------------------------------------------------------


class SettingsForm(forms.Form):
    """The settings fields as the model declares them; checked as a whole by the service
    (not by the model's constraints: a scheme switch takes its defaults there first)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(LoanSettings, fields=svc.LOAN_SETTINGS_FIELDS))


@role_required(read=ALL_STAFF, write=svc.SETTINGS_ROLES)
def settings_view(request):
    """The kolektibilitas scheme (four or five grades) with its bands and PPAP rates, and
    the on-time instalments a restructured loan pays before its grade improves. Only the
    fields changed are sent, so switching the scheme takes its default bands."""
    current = LoanSettings.get()
    form = SettingsForm(
        request.POST or None,
        initial=model_to_dict(current, fields=svc.LOAN_SETTINGS_FIELDS),
    )
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.changed_data}
        with application_errors_to(form):
            svc.loan_settings_update(by=request.user, **data)
            messages.success(request, _("Pengaturan pinjaman tersimpan."))
            return redirect("loans:settings")
    return render(
        request,
        "loans/settings.html",
        {
            "form": form,
            "settings": current,
            "can_edit": request.user.role in svc.SETTINGS_ROLES,
        },
    )


# --- reports ------------------------------------------------------------------------

REPORTS = {
    "outstanding": gettext_lazy("Pinjaman beredar"),
    "arrears": gettext_lazy("Tunggakan dan umur tunggakan"),
    "collectibility": gettext_lazy("Kolektibilitas dan NPL"),
    "disbursements": gettext_lazy("Pencairan per periode"),
    "repayments": gettext_lazy("Penerimaan angsuran per periode"),
    "write-offs": gettext_lazy("Pinjaman dihapusbukukan dan penerimaannya"),
}


class ArrearsRunForm(forms.Form):
    """The day a run is made as of: today, or a past month's last day still open (the
    choices offered; the service refuses any other day with its reason)."""

    on = forms.DateField(label=gettext_lazy("Per tanggal"))

    def __init__(self, *args, dates: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        today = dates[0]
        choices = [(today.isoformat(), _("Hari ini, %s") % format_tanggal(today))]
        choices += [(d.isoformat(), _("Akhir bulan, %s") % format_tanggal(d)) for d in dates[1:]]
        self.fields["on"].widget = forms.Select(choices=choices)
        self.fields["on"].initial = (dates[1] if len(dates) > 1 else today).isoformat()


def _run_entries(run: ArrearsRun) -> list[JournalEntry]:
    """The entries a run posted: its own (dated the run's day) and, for a run as of a
    past day, the opposite one dated the day it was made."""
    return list(
        JournalEntry.objects.filter(
            source=JournalEntry.Source.LOAN,
            source_ref__in=[f"ppap:{run.pk}", f"ppap:{run.pk}:back"],
        ).order_by("date", "pk")
    )


@role_required(read=ALL_STAFF, write=ARREARS_RUN_ROLES)
def arrears_run_view(request):
    """Proses tunggakan dan PPAP: the arrears run as of today (when the daily job did
    not run) or as of a past month's last day still open (31 December made in January:
    graded as the loans stood that day). Bendahara and admin run it; every staff member
    sees the runs and what they posted."""
    dates = arrears_run_dates()
    form = ArrearsRunForm(request.POST or None, dates=dates)
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            result = loans_arrears_run(on=form.cleaned_data["on"], by=request.user)
        if outcome.ok:
            messages.success(
                request,
                _("Perhitungan tunggakan dan PPAP per %(d)s selesai: %(n)s pinjaman.")
                % {"d": format_tanggal(result.run.on), "n": result.run.loans},
            )
            return redirect(f"{reverse('loans:arrears_run')}?run={result.run.pk}")
    shown = None
    run_id = request.GET.get("run", "")
    if run_id.isdigit():
        shown = ArrearsRun.objects.filter(pk=int(run_id)).first()
    runs = list(ArrearsRun.objects.order_by("-on", "-pk")[:12])
    return render(
        request,
        "loans/arrears_run.html",
        {
            "form": form,
            "can_run": request.user.role in ARREARS_RUN_ROLES,
            "shown": shown,
            "shown_entries": _run_entries(shown) if shown else [],
            "runs": runs,
            "last_run": LoanSettings.get().last_arrears_run,
        },
    )


@role_required(read=ALL_STAFF)
def reports_view(request):
    today = timezone.localdate()
    return render(
        request,
        "loans/reports.html",
        {"reports": REPORTS, "date_from": today.replace(day=1), "date_to": today},
    )


def _report_period(request, today: date) -> tuple[date, date]:
    """A report's period from the query string (``from``, ``to``); empty -> this month to
    today. An unreadable date is an ApplicationError (never quietly the default period);
    bounds typed the wrong way round are swapped, as every period report does."""
    date_from = _parse_date(
        request.GET.get("from", ""), today.replace(day=1), label=_("Tanggal awal periode")
    )
    date_to = _parse_date(request.GET.get("to", ""), today, label=_("Tanggal akhir periode"))
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, date_to


def _build(kind: str, request) -> rep.Report:
    today = timezone.localdate()
    if kind == "outstanding":
        return rep.report_outstanding(on=today)
    if kind == "arrears":
        return rep.report_arrears(on=today)
    if kind == "collectibility":
        return rep.report_collectibility(on=today)
    if kind == "disbursements":
        date_from, date_to = _report_period(request, today)
        return rep.report_disbursements(date_from=date_from, date_to=date_to)
    if kind == "repayments":
        date_from, date_to = _report_period(request, today)
        return rep.report_repayments(date_from=date_from, date_to=date_to)
    if kind == "write-offs":
        return rep.report_write_offs(on=today)
    raise Http404


def _respond(request, report: rep.Report, filename: str):
    fmt = request.GET.get("format", "html")
    name = request.tenant.name if hasattr(request, "tenant") else ""
    if fmt == "pdf":
        resp = HttpResponse(
            rep.render_pdf(report, cooperative_name=name), content_type="application/pdf"
        )
        resp["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return resp
    if fmt == "xlsx":
        resp = HttpResponse(
            rep.render_xlsx(report, cooperative_name=name),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return resp
    if fmt == "csv":  # the report's rows and totals, through the shared list export
        keys = [c.key for c in report.columns]
        # a section of the same columns (the write-offs reversed) is rows of the same
        # list, told apart by a column (the status); the totals stay last
        same = [
            r for sec in report.sections if [c.key for c in sec.columns] == keys for r in sec.rows
        ]
        return export_response(
            fmt="csv",
            filename=filename,
            columns=[Column(c.label, c.key, money=c.money) for c in report.columns],
            rows=[*report.rows, *same, *([report.totals] if report.totals else [])],
        )
    return render(
        request, "loans/report.html", {"report": report, "query": request.GET.urlencode()}
    )


@role_required(read=ALL_STAFF)
def report_view(request, kind: str):
    try:
        report = _build(kind, request)
    except ApplicationError as e:  # an unreadable period: said on the page, whatever format
        return render(
            request,
            "loans/report.html",
            {"report": None, "error": e.message, "title": REPORTS.get(kind, "")},
            status=400,
        )
    return _respond(request, report, f"pinjaman-{kind}-{timezone.localdate():%Y%m%d}")


@role_required(read=ALL_STAFF)
def card_view(request, pk: int):
    loan = get_object_or_404(
        Loan.objects.select_related("member", "member__agency", "product"), pk=pk
    )
    report = rep.report_card(loan=loan, on=timezone.localdate())
    return _respond(request, report, f"kartu-{loan.number}")
