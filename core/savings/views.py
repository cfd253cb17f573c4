"""HTML screens of savings: teller, accounts, receipts, statements, reconciliation,
exit settlement."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
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
from core.common.dates import format_date
from core.common.errors import ApplicationError
from core.common.exports import Column, export_format, export_response
from core.common.forms import (
    application_errors_to,
    application_errors_to_messages,
    form_error_message,
)
from core.common.money import format_rupiah
from core.common.permissions import MONEY_WRITERS, STAFF, TREASURY, has_role, role_required
from core.common.submission import ALREADY_SENT, submission_first
from core.ledger.exports import table_xlsx
from core.members.models import Member
from core.members.selectors import member_search

from . import pdf, selectors, services
from .forms import (
    InterestForm,
    PeriodForm,
    ProductCreateForm,
    ProductForm,
    TellerForm,
    WajibRateForm,
)
from .interest_gaps import interest_gaps
from .models import InterestRun, SavingsAccount, SavingsProduct, SavingsTransaction


def _id(value) -> int | None:
    """An id from the address or a form field: a number in the ids' range, else None
    (a hand-edited or stale value is "not found", never a server error)."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and int(value) < 2**63 else None


@role_required(read=STAFF, write=MONEY_WRITERS)
def teller(request):
    """Find a member, pick an account (or open one), deposit or withdraw; today's
    summary for this teller."""
    today = timezone.localdate()
    q = request.GET.get("q", "").strip()
    member = None
    if member_id := _id(request.GET.get("member")):
        member = Member.objects.filter(pk=member_id).select_related("agency").first()
    results = []
    if q and member is None:
        results = list(member_search(q=q)[:20])
        if len(results) == 1:
            member = results[0]
    form = TellerForm(request.POST or None)
    if request.method == "POST":
        if "open_product" in request.POST:
            m = get_object_or_404(Member, pk=_id(request.POST.get("member")))
            product = get_object_or_404(SavingsProduct, pk=_id(request.POST["open_product"]))
            with application_errors_to_messages(request):
                services.savings_account_open(member=m, product=product, on=today, by=request.user)
            return redirect(f"{request.path}?member={m.pk}")
        posted = _id(request.POST.get("account"))
        if member is None and posted:
            # reached without ?member=: the screen is the chosen account's member's
            chosen = SavingsAccount.objects.filter(pk=posted).select_related("member")
            member = chosen[0].member if chosen else None
        if form.is_valid():
            account = get_object_or_404(SavingsAccount, pk=form.cleaned_data["account"])
            amount = form.cleaned_data["amount"]
            if member is None:
                member = account.member
            if account.member_id != member.pk:
                form.add_error(None, _("Rekening bukan milik anggota ini."))
            elif not submission_first(request):
                messages.warning(request, ALREADY_SENT)
                return redirect(f"{request.path}?member={member.pk}")
            else:
                fn = (
                    services.teller_deposit
                    if form.cleaned_data["action"] == "deposit"
                    else services.teller_withdraw
                )
                with application_errors_to(form) as outcome:
                    txn = fn(
                        account=account,
                        amount=amount,
                        channel=form.cleaned_data["channel"],
                        on=today,
                        by=request.user,
                        memo=form.cleaned_data["memo"],
                    )
                if outcome.ok:
                    messages.success(
                        request,
                        _("%(k)s %(a)s tercatat, kuitansi %(r)s.")
                        % {
                            "k": txn.get_kind_display(),
                            "a": format_rupiah(txn.amount),
                            "r": txn.receipt_number,
                        },
                    )
                    return redirect(f"{request.path}?member={member.pk}&last={txn.pk}")
    accounts = []
    missing_products = []
    if member is not None:
        accounts = list(
            SavingsAccount.objects.filter(member=member, status="open").select_related("product")
        )
        for a in accounts:
            _payout_in_full_figures(a, today)
        have = {a.product_id for a in accounts}
        missing_products = [
            p for p in SavingsProduct.objects.filter(is_active=True) if p.pk not in have
        ]
    last = None
    if last_id := _id(request.GET.get("last")):
        last = SavingsTransaction.objects.filter(pk=last_id).first()
    return render(
        request,
        "savings/teller.html",
        {
            "q": q,
            "results": results,
            "member": member,
            "accounts": accounts,
            "missing_products": missing_products,
            "form": form,
            "last": last,
            "today": today,
            "summary": selectors.teller_daily_summary(on=today, user=request.user),
            "recent": selectors.teller_transactions(on=today, user=request.user)[:20],
        },
    )


def _payout_in_full_figures(account: SavingsAccount, on: date) -> None:
    """A berjangka account due today: what paying it out in full pays (the balance with
    the month's jasa of the days before, ``services.berjangka_payout_in_full``), or why
    its basis gives none, or why it cannot be paid out in full yet — set on the account
    for the teller's table."""
    account.payout_in_full = None
    account.payout_note = ""
    if account.product.kind != SavingsProduct.Kind.BERJANGKA:
        return
    try:
        full = services.berjangka_payout_in_full(account=account, on=on)
    except ApplicationError as e:
        account.payout_note = e.message
        return
    if full is not None and full.credits:
        account.payout_in_full = full
    elif full is not None:
        account.payout_note = full.interest_note


@role_required(read=STAFF)
def teller_summary(request):
    """Daily cash summary per teller (all tellers for treasury and board; own for others)."""
    try:
        on = date.fromisoformat(request.GET.get("on", "")) if request.GET.get("on") else None
    except ValueError:
        on = None
    on = on or timezone.localdate()
    only = None if request.user.role in TREASURY | {"ketua", "pengawas"} else request.user
    return render(
        request,
        "savings/teller_summary.html",
        {
            "on": on,
            "rows": selectors.teller_daily_summary(on=on, user=only),
            "txns": selectors.teller_transactions(on=on, user=only),
        },
    )


# who reads the monthly PPh list of the jasa simpanan (/simpanan/pph/)
INTEREST_TAX_READERS = TREASURY | {"ketua", "pengawas"}

ACCOUNT_COLUMNS = [
    Column(gettext_lazy("Rekening"), "number"),
    Column(gettext_lazy("Nomor anggota"), "member.number"),
    Column(gettext_lazy("Nama"), "member.full_name"),
    Column("NIP", "member.nip"),
    Column(gettext_lazy("Produk"), "product.name"),
    Column(gettext_lazy("Status"), lambda a: a.get_status_display()),
    Column(gettext_lazy("Dibuka"), "opened_on"),
    Column(gettext_lazy("Saldo"), "balance", money=True),
]


@role_required(read=STAFF)
def account_list(request):
    q = request.GET.get("q", "").strip()
    product = request.GET.get("product", "")
    status = request.GET.get("status", "open")
    qs = SavingsAccount.objects.select_related("member", "product").order_by(
        "member__number", "product_id"
    )
    if q:
        qs = qs.filter(
            Q(member__full_name__icontains=q)
            | Q(member__nip__startswith=q)
            | Q(member__number__istartswith=q)
            | Q(number__istartswith=q)
        )
    if (product_id := _id(product)) is not None:
        qs = qs.filter(product_id=product_id)
    if status in ("open", "closed"):
        qs = qs.filter(status=status)
    if fmt := export_format(request):
        return export_response(
            fmt=fmt,
            filename=f"rekening-simpanan-{timezone.localdate():%Y%m%d}",
            title=_("Rekening simpanan"),
            columns=ACCOUNT_COLUMNS,
            rows=qs.iterator(chunk_size=500),
        )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "savings/account_list.html",
        {
            "page": page,
            "q": q,
            "product": product,
            "status": status,
            "products": SavingsProduct.objects.all(),
            "by_product": selectors.savings_by_product(),
            # the teller's list shows no button to a screen its role may not open
            "can_read_interest_tax": request.user.role in INTEREST_TAX_READERS,
        },
    )


@role_required(read=STAFF)
def account_detail(request, pk: int):
    account = get_object_or_404(
        SavingsAccount.objects.select_related("member", "product", "frozen_by"), pk=pk
    )
    page = Paginator(selectors.account_transactions(account=account), 50).get_page(
        request.GET.get("page")
    )
    reversed_ids = set(
        SavingsTransaction.objects.filter(reverses__in=page.object_list).values_list(
            "reverses_id", flat=True
        )
    )
    treasury = request.user.role in TREASURY
    early = (
        treasury
        and account.status == SavingsAccount.Status.OPEN
        and account.product.kind == SavingsProduct.Kind.BERJANGKA
        and account.balance > 0
        and (due := services.berjangka_due_date(account)) is not None
        and timezone.localdate() < due
    )
    return render(
        request,
        "savings/account_detail.html",
        {
            "account": account,
            "page": page,
            # the bendahara's "Batalkan" on teller transactions not cancelled yet (on a
            # closed account: its early withdrawal, which reopens it)
            "can_reverse": treasury,
            "reversible": [
                t.pk
                for t in page.object_list
                if t.kind in services.REVERSIBLE_KINDS
                and t.pk not in reversed_ids
                and (
                    account.status == SavingsAccount.Status.OPEN
                    or t.kind == SavingsTransaction.Kind.EARLY_PAYOUT
                )
            ],
            "can_freeze": treasury and account.status == SavingsAccount.Status.OPEN,
            # the bendahara's early withdrawal (before the payout date)
            "early": early,
            "early_rule": services.penalty_rule_label(account.product) if early else "",
            "due": services.berjangka_due_date(account)
            if account.product.kind == SavingsProduct.Kind.BERJANGKA
            else None,
        },
    )


@role_required(read=TREASURY, write=TREASURY)
def account_freeze(request, pk: int):
    """POST ``action`` freeze (with ``reason``) or unfreeze: the bendahara blocks or
    unblocks an account (``services.savings_account_freeze`` / ``_unfreeze``)."""
    account = get_object_or_404(SavingsAccount, pk=pk)
    if request.method == "POST":
        freeze = request.POST.get("action") == "freeze"
        fn = services.savings_account_freeze if freeze else services.savings_account_unfreeze
        with application_errors_to_messages(request) as outcome:
            fn(account=account, reason=request.POST.get("reason", ""), by=request.user)
        if outcome.ok:
            messages.success(
                request,
                _("Rekening %(n)s diblokir.") % {"n": account.number}
                if freeze
                else _("Blokir rekening %(n)s dibuka.") % {"n": account.number},
            )
    return redirect("savings:account", pk=account.pk)


@role_required(read=TREASURY, write=TREASURY)
def early_withdraw(request, pk: int):
    """POST: pay a berjangka account out before its payout date
    (``services.savings_early_withdraw``), after a page showing the balance, the penalty
    and the net; confirmed only against the net shown."""
    account = get_object_or_404(SavingsAccount.objects.select_related("member", "product"), pk=pk)
    back = reverse("savings:account", args=[account.pk])
    if request.method != "POST":
        return redirect(back)
    today = timezone.localdate()
    reason = request.POST.get("reason", "")
    channel = request.POST.get("channel", "")
    if not is_confirmed(request):
        with application_errors_to_messages(request) as outcome:
            reason = services.early_withdrawal_reason_clean(reason)
            services.counter_account(channel)
            preview = services.savings_early_withdrawal_preview(account=account, on=today)
        if not outcome.ok:
            return redirect(back)
        return confirmation_page(
            request,
            Confirmation(
                title=_("Konfirmasi pencairan sebelum jatuh tempo %(n)s") % {"n": account.number},
                intro=_("%(p)s %(m)s, jatuh tempo %(d)s; dicairkan %(t)s (%(c)s); alasan: %(r)s")
                % {
                    "p": account.product.name,
                    "m": account.member.full_name,
                    "d": format_date(preview.payout_date),
                    "t": format_date(today),
                    "c": dict(SavingsTransaction.Channel.choices).get(channel, channel),
                    "r": reason,
                },
                lines=_early_lines(preview),
                # the product's basis gives no jasa for this month: said before confirming
                notice=preview.interest_note,
                note=" ".join(
                    [
                        *(
                            [
                                _(
                                    "Jasa bulan ini: atas saldo akhir setiap hari sebelum "
                                    "tanggal pencairan, dibagi jumlah hari sebulan (saldo "
                                    "rata-rata harian); PPh bila jasa anggota bulan itu di "
                                    "semua rekeningnya di atas batas; dikreditkan pada tanggal "
                                    "pencairan, lalu ikut dicairkan, dan denda dihitung dari "
                                    "saldo bersama jasanya."
                                )
                            ]
                            if preview.interest
                            else []
                        ),
                        _(
                            "Denda masuk ke pendapatan denda; rekening ditutup. Untuk menabung "
                            "lagi, buka rekening baru."
                        ),
                    ]
                ),
                action=reverse("savings:early_withdraw", args=[account.pk]),
                back=back,
                button=_("Ya, cairkan %s") % format_rupiah(preview.net),
                fields=[
                    *carry(request, ("reason", "channel")),
                    ("expected_net", str(preview.net)),
                ],
                danger=True,
            ),
        )
    with application_errors_to_messages(request) as outcome:
        txn = services.savings_early_withdraw(
            account=account,
            on=today,
            channel=channel,
            reason=reason,
            by=request.user,
            expected_net=request.POST.get("expected_net", ""),
        )
    if outcome.ok:
        messages.success(
            request,
            _("Pencairan dini %(a)s tercatat, kuitansi %(r)s; rekening ditutup.")
            % {"a": format_rupiah(txn.amount), "r": txn.receipt_number},
        )
    return redirect(back)


def _early_lines(preview) -> list[ConfirmLine]:
    """An early withdrawal's figures: the balance, the month's jasa (with its PPh) and the
    balance paid out with it when there is any, the penalty, the net."""
    lines = [ConfirmLine(_("Saldo"), preview.balance)]
    if preview.interest:
        label = preview.interest_label
        if preview.interest_tax:
            label += " · " + _("jasa %(g)s − PPh %(t)s") % {
                "g": format_rupiah(preview.interest),
                "t": format_rupiah(preview.interest_tax),
            }
        lines += [
            ConfirmLine(label, preview.interest_net),
            ConfirmLine(_("Saldo dicairkan (dengan jasa)"), preview.paid_out),
        ]
    return [
        *lines,
        ConfirmLine(
            _("Denda pencairan dini (%(x)s)") % {"x": preview.penalty_rule}, preview.penalty
        ),
        ConfirmLine(_("Diterima anggota (bersih)"), preview.net, strong=True),
    ]


@role_required(read=TREASURY, write=TREASURY)
def transaction_reverse(request, pk: int):
    """POST: cancel a teller deposit or withdrawal (``services.teller_reverse``) today."""
    txn = get_object_or_404(SavingsTransaction, pk=pk)
    if request.method != "POST":
        return redirect("savings:account", pk=txn.account_id)
    close = request.POST.get("close_account") == "1"
    if not is_confirmed(request):
        # a cancellation that cannot happen is said now, not after its confirmation page
        refusal = services.teller_reversal_refusal(txn=txn, reason=request.POST.get("reason", ""))
        if refusal is not None:
            messages.error(request, str(refusal.message))
            return redirect("savings:account", pk=txn.account_id)
        acc = txn.account
        back = reverse("savings:account", args=[acc.pk])
        return confirmation_page(
            request,
            Confirmation(
                title=_("Konfirmasi pembatalan transaksi %(r)s")
                % {"r": txn.receipt_number or txn.pk},
                intro=_("%(k)s %(d)s di rekening %(a)s; alasan: %(r)s")
                % {
                    "k": txn.get_kind_display(),
                    "d": format_date(txn.on),
                    "a": acc.number,
                    "r": request.POST.get("reason", ""),
                },
                lines=[
                    ConfirmLine(_("Jumlah dibalik"), txn.amount),
                    ConfirmLine(_("Saldo sekarang"), acc.balance),
                    ConfirmLine(
                        _("Saldo setelah dibatalkan"), acc.balance - txn.delta, strong=True
                    ),
                ],
                action=reverse("savings:transaction_reverse", args=[txn.pk]),
                back=back,
                note=_("Rekening ditutup bersama pembatalan ini.") if close else "",
                button=_("Ya, batalkan %s") % format_rupiah(txn.amount),
                reverses=True,
                fields=carry(request, ("reason", "close_account")),
                danger=True,
            ),
        )
    with application_errors_to_messages(request) as outcome:
        rev = services.teller_reverse(
            txn=txn,
            on=timezone.localdate(),
            reason=request.POST.get("reason", ""),
            by=request.user,
            close_account=close,
        )
    if outcome.ok:
        messages.success(
            request, _("Transaksi dibatalkan; jurnal pembalik %(j)s.") % {"j": rev.journal_entry}
        )
    return redirect("savings:account", pk=txn.account_id)


@role_required(read=TREASURY, write=TREASURY)
def interest_run_reverse(request, pk: int):
    """POST: reverse a monthly interest run as a whole (``services.savings_interest_reverse``),
    after a confirmation page saying what is taken back."""
    run = get_object_or_404(InterestRun.objects.select_related("product"), pk=pk)
    if request.method != "POST":
        return redirect("savings:reconciliation")
    if not is_confirmed(request):
        return confirmation_page(
            request,
            Confirmation(
                title=_("Konfirmasi pembatalan jasa %(p)s %(m)s")
                % {"p": run.product.name, "m": run.month_shown},
                intro=_("%(n)s rekening; jurnal %(e)s; alasan: %(r)s")
                % {
                    "n": run.accounts,
                    "e": run.journal_entry or "-",
                    "r": request.POST.get("reason", ""),
                },
                lines=[
                    ConfirmLine(_("Jasa ditarik kembali dari rekening"), run.gross_interest),
                    ConfirmLine(_("PPh dikembalikan ke rekening"), run.tax),
                    ConfirmLine(_("Bersih dibatalkan"), run.gross_interest - run.tax, strong=True),
                ],
                note=_(
                    "Setiap mutasi jasa dan PPh dibatalkan di rekeningnya dan jurnalnya dibalik; "
                    "bulan itu dapat dihitung lagi sesudahnya. Ditolak bila bulan sesudahnya "
                    "sudah dihitung, periodenya ditutup, atau jasanya sudah ditarik."
                ),
                action=reverse("savings:interest_reverse", args=[run.pk]),
                back=reverse("savings:reconciliation"),
                button=_("Ya, batalkan jasa %s") % format_rupiah(run.gross_interest),
                reverses=True,
                fields=carry(request, ("reason",)),
                danger=True,
            ),
        )
    with application_errors_to_messages(request) as outcome:
        services.savings_interest_reverse(
            run=run, by=request.user, reason=request.POST.get("reason", "")
        )
    if outcome.ok:
        messages.success(request, _("Jasa simpanan dibatalkan; bulan itu dapat dihitung lagi."))
    return redirect("savings:reconciliation")


def _can_see_member(user, member: Member) -> bool:
    if user.role in STAFF:
        return True
    return user.role == "anggota" and member.user_id == user.pk


@role_required(read=STAFF)
def receipt(request, pk: int):
    txn = get_object_or_404(
        SavingsTransaction.objects.select_related(
            "account__member__agency",
            "account__product",
            "created_by",
            "journal_entry",
            "reversed_by",
        ),
        pk=pk,
        receipt_number__isnull=False,
    )
    resp = HttpResponse(pdf.receipt_pdf(txn=txn), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{txn.receipt_number}.pdf"'
    return resp


def _period(request) -> tuple[date, date, PeriodForm]:
    today = timezone.localdate()
    form = PeriodForm(
        request.GET or None, initial={"date_from": date(today.year, 1, 1), "date_to": today}
    )
    if form.is_bound and form.is_valid():
        # typed the wrong way round: the period meant, as the ledger reports do
        a, b = sorted((form.cleaned_data["date_from"], form.cleaned_data["date_to"]))
        return a, b, form
    return date(today.year, 1, 1), today, form


@role_required(read=STAFF, write=frozenset())
def statement(request, member_pk: int):
    member = get_object_or_404(Member.objects.select_related("agency"), pk=member_pk)
    if not _can_see_member(request.user, member):
        raise Http404
    date_from, date_to, form = _period(request)
    data = selectors.savings_statement(member=member, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "pdf":
        resp = HttpResponse(
            pdf.statement_pdf(member=member, statement=data, date_from=date_from, date_to=date_to),
            content_type="application/pdf",
        )
        resp["Content-Disposition"] = f'inline; filename="kartu-simpanan-{member.number}.pdf"'
        return resp
    return render(
        request,
        "savings/statement.html",
        {
            "member": member,
            "statement": data,
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
        },
    )


@role_required(read=STAFF, write=TREASURY)
def reconciliation(request):
    interest_form = InterestForm(request.POST or None)
    if request.method == "POST" and interest_form.is_valid():
        product = get_object_or_404(SavingsProduct, pk=interest_form.cleaned_data["product"])
        with application_errors_to_messages(request) as outcome:
            run = services.savings_interest_accrue(
                product=product,
                year=interest_form.cleaned_data["year"],
                month=interest_form.cleaned_data["month"],
                by=request.user,
            )
        if outcome.ok:
            messages.success(
                request,
                _("Jasa simpanan dihitung: %(n)s rekening, jasa %(g)s, PPh %(t)s.")
                % {
                    "n": run.accounts,
                    "g": format_rupiah(run.gross_interest),
                    "t": format_rupiah(run.tax),
                },
            )
        return redirect("savings:reconciliation")
    if request.method == "POST":
        # a year or month that is not one: said, naming the field; nothing run
        messages.error(request, form_error_message(interest_form))
        return redirect("savings:reconciliation")
    # the form offers the month just ended (a month still running is refused): in
    # January, last year's December, which the year-end checklist asks for
    last_ended = timezone.localdate().replace(day=1) - timedelta(days=1)
    return render(
        request,
        "savings/reconciliation.html",
        {
            "rec": selectors.savings_reconciliation(),
            "interest_products": SavingsProduct.objects.filter(
                interest_enabled=True, is_active=True
            ),
            "interest_runs": InterestRun.objects.select_related(
                "product", "journal_entry"
            ).order_by("-year", "-month", "-pk")[:24],
            # months never run before a product's latest run: said, with the way out
            "interest_gaps": interest_gaps(),
            "year": last_ended.year,
            "month": last_ended.month,
            # the pengawas (and other readers) see the products' terms, not the run form
            "can_run": has_role(request.user, TREASURY),
        },
    )


@role_required(read=STAFF, write=TREASURY)
def product_list(request):
    return render(
        request,
        "savings/product_list.html",
        {
            "products": SavingsProduct.objects.select_related("account").prefetch_related("rates"),
            "can_write": request.user.role in TREASURY,
        },
    )


@role_required(read=STAFF, write=TREASURY)
def product_create(request):
    """A new savings product (e.g. another purpose savings); see
    ``services.savings_product_create``."""
    form = ProductCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        with application_errors_to(form) as outcome:
            product = services.savings_product_create(
                code=data.pop("code"),
                kind=data.pop("kind"),
                account=data.pop("account"),
                by=request.user,
                **data,
            )
        if outcome.ok:
            messages.success(request, _("Produk %(p)s dibuat.") % {"p": product.name})
            return redirect("savings:products")
    return render(request, "savings/product_create.html", {"form": form})


@role_required(read=STAFF, write=TREASURY)
def product_edit(request, pk: int):
    product = get_object_or_404(SavingsProduct.objects.select_related("account"), pk=pk)
    initial = {k: getattr(product, k) for k in services.PRODUCT_EDITABLE}
    form = ProductForm(request.POST if "save_product" in request.POST else None, initial=initial)
    rate_form = WajibRateForm(request.POST if "save_rate" in request.POST else None)
    if request.method == "POST":
        with application_errors_to(rate_form if "save_rate" in request.POST else form):
            if "save_rate" in request.POST and rate_form.is_valid():
                services.wajib_rate_set(product=product, by=request.user, **rate_form.cleaned_data)
                messages.success(request, _("Tarif wajib disimpan."))
                return redirect("savings:product", pk=product.pk)
            if "save_product" in request.POST and form.is_valid():
                services.savings_product_update(
                    product=product, by=request.user, **form.cleaned_data
                )
                messages.success(request, _("Produk disimpan."))
                return redirect("savings:products")
    return render(
        request,
        "savings/product_form.html",
        {"product": product, "form": form, "rate_form": rate_form, "rates": product.rates.all()},
    )


def _month_param(value: str | None) -> tuple[int, int]:
    """``YYYY-MM`` (default: last month). Raises ValueError."""
    if not value:
        t = timezone.localdate().replace(day=1) - timedelta(days=1)
        return t.year, t.month
    y, m = value.split("-")
    y, m = int(y), int(m)
    if not (1 <= m <= 12 and 2000 <= y <= 2100):
        raise ValueError(value)
    return y, m


@role_required(read=INTEREST_TAX_READERS)
def interest_tax(request):
    """The bendahara's monthly PPh on savings interest: the bukti potong list per member
    (screen, and XLSX with ``format=xlsx``)."""
    error = ""
    try:
        year, month = _month_param(request.GET.get("bulan"))
    except ValueError:
        error = _("Bulan tidak valid (TTTT-BB).")
        year, month = _month_param(None)
    if request.GET.get("format") == "xlsx" and not error:
        resp = HttpResponse(
            table_xlsx(selectors.interest_tax_table(year=year, month=month)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = (
            f'attachment; filename="pph-jasa-simpanan-{year}-{month:02d}.xlsx"'
        )
        return resp
    rows = selectors.interest_tax_report(year=year, month=month)
    gross = sum((r.gross for r in rows), Decimal(0))
    tax = sum((r.tax for r in rows), Decimal(0))
    return render(
        request,
        "savings/interest_tax.html",
        {
            "table": selectors.interest_tax_table(year=year, month=month),
            "rows": rows,
            "year": year,
            "month": month,
            "gross": gross,
            "tax": tax,
            "net": gross - tax,
            "error": error,
        },
    )
