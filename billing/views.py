"""HTML views: the cooperative's billing page (tenant host), the Stripe webhook and the
operators' transfer confirmation (apex host)."""

from __future__ import annotations

import hmac
import os
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing.errors import BillingErrors
from core.common.api import MAX_ID
from core.common.dates import format_date
from core.common.errors import ApplicationError
from core.common.forms import (
    application_errors_to,
    application_errors_to_messages,
    form_error_message,
)
from core.common.money import format_rupiah
from core.common.pagination import paginate
from core.common.permissions import SETTINGS_ADMINS, TREASURY, role_required
from tenants.operators import operator_required as console_operator_required

from . import selectors, services
from .efaktur import efaktur_csv, efaktur_xlsx
from .forms import (
    PlanForm,
    ProofNoteForm,
    TaxDetailsForm,
    TransferDecisionForm,
    TransferReceivedForm,
)
from .models import CreditNote, Interval, Invoice, PaymentProof, Plan, Subscription
from .notices import notice_shown
from .pdf import (
    credit_note_pdf,
    document_filename,
    invoice_filename,
    invoice_pdf,
    pdf_filename,
)
from .providers.base import provider_get
from .usage import active_member_count
from .webhooks import rejection_of, stripe_event_receive

# -- cooperative host ------------------------------------------------------------------------


def _subscription(request) -> Subscription:
    sub = selectors.subscription_for(cooperative=request.tenant)
    if sub is None:
        raise Http404(_("Koperasi ini belum memiliki langganan."))
    return sub


@role_required(read=TREASURY, write=SETTINGS_ADMINS)
def tenant_billing(request):
    sub = _subscription(request)
    members = active_member_count(cooperative=request.tenant)
    plans = [{"plan": p, "fits": p.allows(members)} for p in selectors.plans_public()]
    open_invoice = selectors.invoice_open_for(subscription=sub)
    rejected = (
        open_invoice.proofs.filter(rejected_at__isnull=False).order_by("-rejected_at").first()
        if open_invoice is not None and open_invoice.status == Invoice.Status.OPEN
        else None
    )
    invoices = list(selectors.invoices_for(subscription=sub)[:50])
    covering = selectors.invoice_upgrades_covering(subscription=sub)
    for inv in invoices:
        inv.upgrade_covering = covering.get(inv.pk)
    return render(
        request,
        "billing/tenant.html",
        {
            "sub": sub,
            "members": members,
            "plans": plans,
            "invoices": invoices,
            "open_invoice": open_invoice,
            "rejected_proof": rejected,
            "proof_claim_summary": selectors.proof_claim_summary(invoice=open_invoice)
            if open_invoice is not None and open_invoice.status == Invoice.Status.AWAITING
            else "",
            "notices": [
                {
                    "created_at": n.created_at,
                    "message": notice_shown(kind=n.kind, params=n.params, message=n.message),
                }
                for n in sub.notices.all()[:5]
            ],
            "suspend_on": selectors.suspension_on(subscription=sub),
            "credit": services.credit_balance(subscription=sub),
            "credit_entries": list(sub.credit_entries.select_related("invoice")[:20]),
            "renewal_plan": services.renewal_plan(subscription=sub, count=members)[0],
            "renewal": services.next_invoice_figures(subscription=sub, count=members),
            "intervals": Interval.choices,
            "stripe_enabled": "stripe" in settings.BILLING_PROVIDERS,
            "card_billing_starts": None
            if services.card_start_blocked(subscription=sub)
            else services.card_billing_start(subscription=sub),
            "checkout": request.GET.get("checkout", ""),
            "bank_name": settings.BILLING_BANK_NAME,
            "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
            "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
        },
    )


def _plan_from(request) -> tuple[Plan, str]:
    raw = (request.POST.get("plan") or "").strip()
    plan = (
        Plan.objects.filter(pk=int(raw), is_active=True).first()
        if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID
        else None
    )
    interval = request.POST.get("interval") or Interval.MONTH
    if plan is None:
        raise ApplicationError(
            BillingErrors.PLAN_UNAVAILABLE,
            _("Pilih paket yang tersedia."),
            fields={"plan": [_("Wajib dipilih.")]},
        )
    return plan, interval


@require_POST
@role_required(read=TREASURY, write=SETTINGS_ADMINS)
def tenant_plan_change(request):
    sub = _subscription(request)
    old_plan, old_interval = sub.plan, sub.interval
    # Stripe prorates a charging card's change on its next invoice (create_prorations)
    card_charging = bool(
        sub.provider == Subscription.Provider.STRIPE
        and sub.stripe_subscription_id
        and sub.stripe_status in ("active", "past_due")
    )
    with application_errors_to_messages(request) as outcome:
        plan, interval = _plan_from(request)
        sub = services.plan_change(subscription=sub, plan=plan, interval=interval, by=request.user)
    if not outcome.ok:
        return redirect("billing:tenant")
    if (
        card_charging
        and old_plan.pk != plan.pk
        and old_interval == interval
        and sub.plan_id == plan.pk
        and sub.current_period_end
    ):
        next_day = format_date(timezone.localdate(sub.current_period_end))
        if plan.price_for(interval) > old_plan.price_for(interval):
            text = _(
                "Paket diganti menjadi %(plan)s. Selisih harga untuk sisa periode ini ditagih "
                "ke kartu bersama tagihan berikutnya (%(d)s)."
            )
        else:
            text = _(
                "Paket diganti menjadi %(plan)s. Sisa nilai paket %(old)s untuk periode ini "
                "mengurangi tagihan kartu berikutnya (%(d)s)."
            )
        messages.success(request, text % {"plan": plan.name, "old": old_plan.name, "d": next_day})
        return redirect("billing:tenant")
    upgrade = selectors.invoice_upgrade_open_for(subscription=sub)
    if upgrade is not None and upgrade.plan_id != plan.pk:
        upgrade = None  # an older plan change's invoice: not what this message is about
    later = (
        selectors.invoice_numbers_covered_by(subscription=sub, upgrade=upgrade) if upgrade else []
    )
    if sub.plan_id == plan.pk and sub.interval == interval:
        messages.success(request, _("Paket diganti menjadi %(plan)s.") % {"plan": plan.name})
    elif later:
        messages.success(
            request,
            _(
                "Tagihan selisih %(n)s (%(amount)s) untuk sisa periode ini dan periode "
                "tagihan %(later)s diterbitkan. Paket %(plan)s berlaku setelah tagihan "
                "dibayar."
            )
            % {
                "n": upgrade.number,
                "amount": format_rupiah(upgrade.amount),
                "later": ", ".join(later),
                "plan": plan.name,
            },
        )
    elif upgrade is not None:
        messages.success(
            request,
            _(
                "Tagihan selisih %(n)s (%(amount)s) untuk sisa periode diterbitkan. Paket "
                "%(plan)s berlaku setelah tagihan dibayar."
            )
            % {
                "n": upgrade.number,
                "amount": format_rupiah(upgrade.amount),
                "plan": plan.name,
            },
        )
    else:
        messages.success(
            request,
            _("Paket %(plan)s berlaku mulai perpanjangan berikutnya (%(d)s).")
            % {
                "plan": plan.name,
                "d": format_date(timezone.localdate(sub.current_period_end) + timedelta(days=1)),
            },
        )
    return redirect("billing:tenant")


@require_POST
@role_required(read=TREASURY, write=TREASURY)
def tenant_pay(request):
    sub = _subscription(request)
    page = request.build_absolute_uri(reverse("billing:tenant"))
    with application_errors_to_messages(request) as outcome:
        plan, interval = _plan_from(request)
        start = services.payment_start(
            subscription=sub,
            provider=request.POST.get("provider", ""),
            plan=plan,
            interval=interval,
            success_url=f"{page}?checkout=selesai",
            cancel_url=f"{page}?checkout=batal",
            by=request.user,
        )
    if not outcome.ok:
        return redirect("billing:tenant")
    if start.redirect_url:
        return redirect(start.redirect_url)
    messages.success(
        request,
        _("Tagihan %(n)s diterbitkan. Transfer sesuai petunjuk lalu unggah bukti transfer.")
        % {"n": start.invoice.number},
    )
    return redirect("billing:tenant")


@require_POST
@role_required(read=TREASURY, write=TREASURY)
def tenant_manage(request):
    sub = _subscription(request)
    with application_errors_to_messages(request) as outcome:
        url = provider_get(Subscription.Provider.STRIPE).manage_url(
            subscription=sub, return_url=request.build_absolute_uri(reverse("billing:tenant"))
        )
    if not outcome.ok:
        return redirect("billing:tenant")
    if not url:
        messages.error(request, _("Belum ada pembayaran kartu untuk dikelola."))
        return redirect("billing:tenant")
    return redirect(url)


@role_required(read=TREASURY, write=TREASURY)
def tenant_invoice_pdf(request, number: str):
    sub = _subscription(request)
    invoice = get_object_or_404(Invoice, subscription=sub, number=number)
    response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice=invoice)}"'
    return response


@role_required(read=TREASURY, write=TREASURY)
def tenant_credit_note_pdf(request, number: str):
    """One of the cooperative's own credit notes (nota retur) as a PDF."""
    sub = _subscription(request)
    note = get_object_or_404(
        CreditNote.objects.select_related("invoice__plan", "credit_entry", "subscription"),
        subscription=sub,
        number=number,
    )
    return _credit_note_response(note)


def _credit_note_response(note: CreditNote) -> HttpResponse:
    response = HttpResponse(credit_note_pdf(note=note), content_type="application/pdf")
    name = pdf_filename(kind="nota-retur", number=note.number)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_POST
@role_required(read=TREASURY, write=TREASURY)
def tenant_proof_upload(request, number: str):
    sub = _subscription(request)
    invoice = get_object_or_404(Invoice, subscription=sub, number=number)
    form = ProofNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_message(form))
        return redirect("billing:tenant")
    with application_errors_to_messages(request) as outcome:
        proof = services.bank_proof_upload(
            invoice=invoice,
            upload=request.FILES.get("file"),
            by=request.user,
            note=form.cleaned_data["note"],
            amount_claimed=form.cleaned_data["amount"],
        )
    if outcome.ok:
        messages.success(
            request, _("Bukti transfer terkirim. Operator akan mengonfirmasi pembayaran.")
        )
        differs = selectors.proof_claim_difference(invoice=invoice, proof=proof)
        if differs:
            messages.warning(request, differs)
    return redirect("billing:tenant")


# -- apex host ------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def stripe_webhook(request, token: str):
    if not hmac.compare_digest(token.encode(), settings.BILLING_WEBHOOK_PATH_TOKEN.encode()):
        raise Http404
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if (
        length > settings.BILLING_WEBHOOK_MAX_BYTES
        or len(request.body) > settings.BILLING_WEBHOOK_MAX_BYTES
    ):
        return JsonResponse(
            {"error": {"code": "too_large", "message": "payload too large"}}, status=413
        )
    status, row = stripe_event_receive(raw_body=request.body, headers=request.headers)
    if status != 200:
        code, message = rejection_of(row)
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    return JsonResponse({"received": True, "id": row.event_id})


# Operator screens need what every console page needs: an operator of the public schema
# whose session passed the TOTP step, with a billing or admin role.
operator_required = console_operator_required(action="record_payment")


@operator_required
def operator_transfers(request):
    # The e-Faktur form offers any month, last month chosen: the one the accountant
    # reports now (a month's data is final once it is over).
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    return render(
        request,
        "billing/operator_transfers.html",
        {
            "page": paginate(request, selectors.transfers_awaiting(), per_page=50),
            "awaiting": selectors.transfers_awaiting()
            .filter(status=Invoice.Status.AWAITING)
            .count(),
            "flags": selectors.operator_flags(),
            "efaktur_months": list(MONTHS.items()),
            "efaktur_month": last_month.month,
            "efaktur_year": last_month.year,
            "tab": "transfers",
        },
    )


def _reject_message(*, before: Invoice, after: Invoice) -> str:
    """What the operator is told of a rejection: the credit the invoice took in the same
    step (bank_transfer_reject applies it at once) and what is left to transfer, or that
    the credit paid it, or that it is void (another invoice paid its period). An invoice
    awaiting the operator takes no credit, so ``before``
    (read before the rejection) holds what it had."""
    message = _("Bukti transfer %(n)s ditolak.") % {"n": after.number}
    if after.status == Invoice.Status.VOID:
        paid_by = selectors.invoice_period_paid_by(invoice=after)
        message += " " + _(
            "Tagihan ini dibatalkan: periodenya sudah dibayar dengan tagihan %(m)s."
        ) % {"m": paid_by.number if paid_by else "-"}
        if after.credit_applied > 0:
            message += " " + _("Kredit %(credit)s yang dipakainya kembali ke saldo koperasi.") % {
                "credit": format_rupiah(after.credit_applied)
            }
        return message
    taken = after.credit_applied - before.credit_applied
    if taken <= 0:
        return message
    if after.status == Invoice.Status.PAID:
        return (
            message
            + " "
            + _("Kredit koperasi %(credit)s melunasi tagihan ini; tidak ada yang perlu ditransfer.")
            % {"credit": format_rupiah(taken)}
        )
    return (
        message
        + " "
        + _(
            "Kredit koperasi %(credit)s dipakai untuk tagihan ini; "
            "sisa yang perlu ditransfer %(due)s."
        )
        % {"credit": format_rupiah(taken), "due": format_rupiah(after.amount_due)}
    )


@require_http_methods(["GET", "POST"])
@operator_required
def operator_transfer_confirm(request, pk: int):
    """*Konfirmasi diterima* in two steps. A GET (the first step) only shows what to
    check: the cooperative, the invoice, the amount its proof claims and what is to be
    transferred, with a warning when they differ; it never changes anything. The
    second step, the form it shows, POSTs here with the proof it showed (``proof_seen``)
    and the amount the bank statement shows (filled in with what is to be transferred)
    and records it (bank_transfer_receive: that amount pays the invoice, less leaves it
    open for the rest, more pays it and the excess is credit); a POST without the proof
    seen or with an amount refused records nothing."""
    # A deleted cooperative's invoice is kept as a tax record, nobody's to confirm.
    invoice = get_object_or_404(
        Invoice.objects.select_related("subscription__cooperative", "plan"),
        pk=pk,
        subscription__isnull=False,
    )
    if request.method == "POST":
        return _transfer_confirm(request, invoice)
    if invoice.provider != Subscription.Provider.BANK_TRANSFER or invoice.status not in (
        Invoice.Status.OPEN,
        Invoice.Status.AWAITING,
    ):
        messages.error(
            request,
            _("Tagihan %(n)s tidak dapat dikonfirmasi (status: %(s)s).")
            % {"n": invoice.number, "s": invoice.get_status_display()},
        )
        return redirect("billing:operator-transfers")
    check = selectors.transfer_check(invoice=invoice)
    return render(
        request,
        "billing/operator_transfer_confirm.html",
        {
            "invoice": invoice,
            "check": check,
            "form": TransferReceivedForm(initial={"amount": check.due}),
            "tab": "transfers",
        },
    )


def _transfer_confirm(request, invoice: Invoice):
    form = TransferReceivedForm(request.POST)
    # the first step names the proof the operator saw: without it (a post that did not
    # come from the first step) nothing is confirmed; one sent since is shown first
    seen = request.POST.get("proof_seen")
    if not seen:
        messages.error(
            request,
            _(
                "Konfirmasi tagihan %(n)s belum dilakukan: buka langkah pertama dan periksa "
                "bukti transfernya dulu."
            )
            % {"n": invoice.number},
        )
        return redirect("billing:operator-transfer-confirm", invoice.pk)
    latest = selectors.transfer_check(invoice=invoice).proof
    if seen != (str(latest.pk) if latest is not None else "none"):
        messages.error(
            request,
            _(
                "Bukti transfer tagihan %(n)s berubah sejak halaman ini dibuka (koperasi "
                "mengirim bukti lain); periksa lagi sebelum mengonfirmasi."
            )
            % {"n": invoice.number},
        )
        return redirect("billing:operator-transfer-confirm", invoice.pk)
    if not form.is_valid():
        # nothing recorded: back to the step, to type the amount again
        messages.error(request, form_error_message(form))
        return redirect("billing:operator-transfer-confirm", invoice.pk)
    with application_errors_to_messages(request) as outcome:
        done = services.bank_transfer_receive(
            invoice=invoice,
            operator=request.user,
            amount=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
        )
        figures = {
            "n": invoice.number,
            "got": format_rupiah(done.received),
            "rest": format_rupiah(done.remaining),
            "excess": format_rupiah(done.excess),
        }
        if done.remaining:
            messages.success(
                request,
                _(
                    "Transfer %(got)s untuk tagihan %(n)s dicatat. Tagihan tetap terbuka: "
                    "sisa yang perlu ditransfer %(rest)s."
                )
                % figures,
            )
            return redirect("billing:operator-transfers")
        message = _("Pembayaran %(n)s dikonfirmasi.") % figures
        if done.excess:
            message += " " + _("Kelebihan %(excess)s menjadi kredit koperasi.") % figures
        sub = Subscription.objects.filter(pk=invoice.subscription_id).first()
        held = services.operator_hold(sub) if sub is not None else ""
        if held:
            # The payment is recorded, but only an operator lifts an operator's archive
            # or suspension (bank_transfer_confirm): say which, or the cooperative waits.
            message += " " + services.operator_hold_message(
                held=held,
                reason=sub.operator_reason,
                archive_days=sub.archive_after_days or settings.BILLING_ARCHIVE_AFTER_DAYS,
            )
        messages.success(request, message)
    if outcome.error is not None and "amount" in (outcome.error.fields or {}):
        return redirect("billing:operator-transfer-confirm", invoice.pk)  # nothing recorded
    return redirect("billing:operator-transfers")


@require_POST
@operator_required
def operator_transfer_decide(request, pk: int, decision: str):
    """A rejection (``tolak``); a confirmation has its own two steps
    (operator_transfer_confirm)."""
    # A deleted cooperative's invoice is kept as a tax record, nobody's to decide on.
    invoice = get_object_or_404(Invoice, pk=pk, subscription__isnull=False)
    form = TransferDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_message(form))
        return redirect("billing:operator-transfers")
    with application_errors_to_messages(request):
        if decision == "tolak":
            rejected = services.bank_transfer_reject(
                invoice=invoice, operator=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _reject_message(before=invoice, after=rejected))
        else:
            raise Http404
    return redirect("billing:operator-transfers")


@operator_required
def operator_proof(request, pk: int):
    """A transfer proof, downloaded (never shown inline: the cooperative uploaded it)
    as ``bukti-transfer-<invoice>-<pk>.<pdf|png|jpg>``, its type by that extension
    (bank_proof_upload checked the content matches it)."""
    proof = get_object_or_404(PaymentProof.objects.select_related("invoice"), pk=pk)
    name = document_filename(
        kind="bukti-transfer",
        number=f"{proof.invoice.number}-{proof.pk}",
        ext=os.path.splitext(proof.file.name)[1].lower().lstrip(".") or "bin",
    )
    try:
        handle = proof.file.open("rb")
    except OSError:  # the storage lost it (a restore without the media): say which
        messages.error(
            request,
            _(
                "Berkas bukti transfer %(n)s untuk tagihan %(i)s tidak ditemukan di "
                "penyimpanan. Minta koperasi mengunggah ulang buktinya, atau pulihkan "
                "berkas media dari cadangan."
            )
            % {"n": proof.pk, "i": proof.invoice.number},
        )
        return redirect("billing:operator-transfers")
    return FileResponse(handle, as_attachment=True, filename=name)


@operator_required
def operator_invoice_pdf(request, number: str):
    """Any invoice as a PDF, for billing and admin operators, by its number (what the
    e-Faktur data lists): also a deleted cooperative's, kept as issued."""
    invoice = get_object_or_404(Invoice.objects.select_related("plan"), number=number)
    response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice=invoice)}"'
    return response


@operator_required
def operator_credit_note_pdf(request, pk: int):
    note = get_object_or_404(
        CreditNote.objects.select_related(
            "invoice__plan", "credit_entry", "subscription__cooperative"
        ),
        pk=pk,
    )
    return _credit_note_response(note)


@operator_required
def operator_plans(request):
    return render(
        request, "billing/operator_plans.html", {"plans": Plan.objects.order_by("sort_order", "pk")}
    )


@operator_required
def operator_plan_edit(request, pk: int | None = None):
    plan = get_object_or_404(Plan, pk=pk) if pk else None
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            saved = services.plan_save(operator=request.user, plan=plan, **form.plan_fields())
        if outcome.ok:
            messages.success(request, _("Paket %(p)s disimpan.") % {"p": saved.name})
            return redirect("billing:operator-plans")
    return render(request, "billing/operator_plan_form.html", {"form": form, "plan": plan})


@operator_required
def operator_efaktur(request):
    """e-Faktur data of a month (?tahun=2026&bulan=3&format=csv|xlsx)."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("tahun") or today.year)
        month = int(request.GET.get("bulan") or today.month)
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        return HttpResponse(_("Tahun atau bulan tidak valid."), status=400)
    if request.GET.get("format") == "xlsx":
        body = efaktur_xlsx(year=year, month=month)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"efaktur-{year}-{month:02d}.xlsx"
    else:
        body, kind, name = (
            efaktur_csv(year=year, month=month),
            "text/csv; charset=utf-8",
            f"efaktur-{year}-{month:02d}.csv",
        )
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@role_required(read=TREASURY, write=SETTINGS_ADMINS)
def tenant_tax_details(request):
    sub = _subscription(request)
    form = TaxDetailsForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_message(form))
        return redirect("billing:tenant")
    with application_errors_to_messages(request) as outcome:
        services.subscription_tax_details_set(
            subscription=sub,
            npwp=form.cleaned_data["npwp"],
            address=form.cleaned_data["tax_address"],
            by=request.user,
        )
    if outcome.ok:
        messages.success(request, _("Data NPWP untuk faktur disimpan."))
    return redirect("billing:tenant")
