"""Console HTML views (apex host). Thin: check the operator's role (decorator), validate
the form, call one service or selector."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing import services as billing
from billing.models import Interval, Subscription
from billing.selectors import deleted_cooperative_documents, deleted_cooperatives
from core.common.dates import format_date
from core.common.forms import application_errors_to, application_errors_to_messages
from core.common.money import format_rupiah
from core.common.pagination import paginate
from lumbung.console.audit import ConsoleAudit
from lumbung.dinas.models import Pembina
from lumbung.dinas.selectors import pembina_list as pembina_query
from lumbung.dinas.services import pembina_active_set, pembina_create
from lumbung.terms import NOTICE_DAYS
from lumbung.twostep import TwoStepLogin, TwoStepLoginView, safe_next
from tenants.models import Cooperative, SignupRequest, TermsAnnouncement
from tenants.operators import ACTIONS, can, operator_refusal, operator_required

from . import forms, selectors, services
from . import terms as terms_console
from .export import tenant_export
from .models import MigrationRun
from .support import support_session_start


def _safe_next(request, nxt: str) -> str:
    return safe_next(request, nxt, home="console:overview")


# -- login with required two-factor (lumbung.twostep) ------------------------------------


LOGIN = TwoStepLogin(
    namespace="console",
    home="console:overview",
    pending_key="lumbung_console_2fa",
    audit_action=ConsoleAudit.CONSOLE_LOGIN,
    may_enter=lambda user: bool(user.operator_role),
    refusal=gettext_lazy("Akun ini bukan akun operator Lumbung."),
)


class ConsoleLoginView(TwoStepLoginView):
    """Step 1: password. Operators only. Step 2 is the TOTP code, or enrolling a TOTP
    device on first login: the session is logged in only after that."""

    flow = LOGIN


login_verify = LOGIN.verify_view
enrol = LOGIN.enrol_view  # first login: an operator sets up a TOTP authenticator
console_logout = LOGIN.logout_view


# -- pages -------------------------------------------------------------------------------


@operator_required()
def overview(request):
    return render(
        request,
        "console/overview.html",
        {
            "o": selectors.overview(),
            "terms_warnings": terms_console.terms_warnings(),
            "tab": "overview",
        },
    )


@operator_required()
def tenant_list(request):
    provinces = selectors.provinces()
    form = forms.TenantFilterForm(request.GET or None, provinces=provinces)
    params, ignored = {}, []
    if form.is_bound and not form.is_valid():
        # a bad value (an old link, a plan since removed) drops that filter only, and
        # the page says which: never the whole list for one bad field
        ignored = [str(form.fields[name].label) for name in form.errors if name in form.fields]
    if form.is_bound:
        params = form.cleaned_data
    sort = selectors.sort_normalize(request.GET.get("sort", ""))
    qs = selectors.tenants_query(
        q=params.get("q", ""),
        status=params.get("status", ""),
        plan=params.get("plan", ""),
        province=params.get("province", ""),
        flag=params.get("flag", ""),
        sort=sort,
    )
    return render(
        request,
        "console/tenant_list.html",
        {
            "page": paginate(request, qs, per_page=50),
            "filter_form": form,
            "ignored_filters": ", ".join(ignored),
            "tab": "tenants",
            "sort": sort,
            "sorts": [
                ("name", _("Nama")),
                ("members", _("Anggota")),
                ("plan", _("Paket")),
                ("status", _("Status")),
                ("mrr", "MRR"),
                ("created", _("Dibuat")),
                ("activity", _("Aktivitas staf")),
                ("size", _("Ukuran DB")),
            ],
        },
    )


@operator_required()
def tenant_detail(request, pk: int):
    coop = get_object_or_404(Cooperative.objects.exclude(schema_name="public"), pk=pk)
    context = selectors.tenant_detail(cooperative=coop)
    applicable = selectors.status_actions_applicable(subscription=context["sub"])
    context.update(
        {
            "coop": coop,
            "tab": "tenants",
            # a status action is offered only where it applies to the current status
            "allowed": {
                a
                for a in ACTIONS
                if can(request.user, a) and (a not in selectors.STATUS_ACTIONS or a in applicable)
            },
            "support_form": forms.SupportForm(),
        }
    )
    return render(request, "console/tenant_detail.html", context)


@operator_required()
def tenant_invoices(request, pk: int):
    """All of a cooperative's invoices (its page shows the latest), 25 a page, the newest
    first, each with its credit notes: the same number of queries for any page."""
    coop = get_object_or_404(Cooperative.objects.exclude(schema_name="public"), pk=pk)
    sub = Subscription.objects.filter(cooperative=coop).first()
    return render(
        request,
        "console/tenant_invoices.html",
        {
            "coop": coop,
            "sub": sub,
            "page": paginate(request, selectors.tenant_invoices(subscription=sub), per_page=25),
            "allowed": {a for a in ACTIONS if can(request.user, a)},
            "tab": "tenants",
        },
    )


ACTION_FORMS = {
    "suspend": (forms.ConfirmForm, gettext_lazy("Tangguhkan (hanya baca)")),
    "reactivate": (forms.ReactivateForm, gettext_lazy("Aktifkan kembali")),
    "archive": (forms.ConfirmForm, gettext_lazy("Arsipkan")),
    "extend_trial": (forms.TrialForm, gettext_lazy("Perpanjang masa uji coba")),
    "change_plan": (forms.PlanForm, gettext_lazy("Ganti paket")),
    "record_payment": (forms.PaymentForm, gettext_lazy("Catat pembayaran manual")),
    "refund_credit": (forms.CreditRefundForm, gettext_lazy("Catat pengembalian kredit")),
    "add_domain": (forms.DomainForm, gettext_lazy("Tambah domain khusus")),
    "export": (forms.ExportForm, gettext_lazy("Ekspor data")),
    "delete": (forms.DeleteForm, gettext_lazy("Hapus koperasi (permanen)")),
    "support": (forms.SupportForm, gettext_lazy("Buka sesi dukungan (hanya baca)")),
}


def _perform(action: str, request, coop: Cooperative, data: dict):
    op = request.user
    reason = data["reason"]
    if action == "suspend":
        services.tenant_suspend(operator=op, cooperative=coop, reason=reason)
        return _("Koperasi ditangguhkan.")
    if action == "reactivate":
        services.tenant_reactivate(operator=op, cooperative=coop, reason=reason, days=data["days"])
        return _("Koperasi diaktifkan kembali.")
    if action == "archive":
        services.tenant_archive(operator=op, cooperative=coop, reason=reason)
        return _("Koperasi diarsipkan.")
    if action == "extend_trial":
        sub = services.tenant_trial_extend(
            operator=op, cooperative=coop, days=data["days"], reason=reason
        )
        return _("Masa uji coba diperpanjang sampai %(d)s.") % {
            "d": format_date(timezone.localtime(sub.trial_ends_at))
        }
    if action == "change_plan":
        done = services.tenant_plan_change(
            operator=op,
            cooperative=coop,
            plan=data["plan"],
            interval=data["interval"],
            reason=reason,
        )
        return _plan_change_message(done)
    if action == "record_payment":
        done = services.tenant_payment_record(
            operator=op,
            cooperative=coop,
            reason=reason,
            invoice=data.get("invoice"),
            plan=data.get("plan"),
            interval=data["interval"],
            end_card_subscription=data.get("end_card_subscription", False),
            amount_received=data["amount"],
            payments_seen=data.get("payments_seen"),
        )
        return _payment_message(done)
    if action == "refund_credit":
        entry = services.tenant_credit_refund(
            operator=op, cooperative=coop, amount=data["amount"], reason=reason
        )
        return _("Pengembalian kredit %(a)s dicatat; saldo kredit kini %(b)s.") % {
            "a": format_rupiah(-entry.amount),
            "b": format_rupiah(entry.balance_after),
        }
    if action == "add_domain":
        made = services.tenant_domain_add(
            operator=op, cooperative=coop, domain=data["domain"], reason=reason
        )
        return " ".join(
            [
                _("Domain %(d)s ditambahkan (juga melayani www.%(d)s).") % {"d": made.domain},
                _(
                    "Aplikasi melayaninya mulai sekarang; agar bisa dibuka, DNS domain ini "
                    "harus mengarah ke server Lumbung dan proxy/ingress di depannya harus "
                    "meneruskannya dengan sertifikat TLS-nya (chart Helm: ingress.extraHosts)."
                ),
            ]
        )
    raise Http404


def _payment_message(done: services.PaymentOutcome) -> str:
    """Says what a manual payment did to the cooperative's access: active again (from
    what, until when), still active, or still suspended / archived by an operator's
    decision (which, its reason, and that only *Aktifkan kembali* lifts it); then the
    bills still unpaid."""
    sub = done.subscription
    if done.remaining:
        # A partial payment: the invoice stays open, nothing about access changed.
        return _(
            "Pembayaran sebagian tagihan %(n)s dicatat. Sisa yang perlu ditransfer: "
            "%(rest)s; tagihan tetap terbuka dan koperasi melihat sisanya."
        ) % {"n": done.invoice.number, "rest": format_rupiah(done.remaining)}
    parts = [_("Pembayaran tagihan %(n)s dicatat.") % {"n": done.invoice.number}]
    if done.excess:
        parts.append(
            _("Kelebihan %(e)s menjadi kredit koperasi, dipakai untuk tagihan berikutnya.")
            % {"e": format_rupiah(done.excess)}
        )
    figures = {
        "was": Subscription.Status(done.was).label,
        "end": format_date(timezone.localdate(sub.current_period_end))
        if sub.current_period_end
        else "",
    }
    if done.held:
        parts.append(
            billing.operator_hold_message(
                held=done.held, reason=done.reason, archive_days=done.archive_days
            )
        )
    elif sub.status == Subscription.Status.ACTIVE:
        if done.was == Subscription.Status.ACTIVE:
            message = _("Koperasi tetap aktif")
        elif done.was in (
            Subscription.Status.PAST_DUE,
            Subscription.Status.SUSPENDED,
            Subscription.Status.ARCHIVED,
        ):
            message = _("Koperasi aktif kembali (sebelumnya: %(was)s)") % figures
        else:
            message = _("Koperasi kini aktif (sebelumnya: %(was)s)") % figures
        parts.append(message + ".")
        if figures["end"]:
            parts.append(_("Langganan aktif sampai %(end)s.") % figures)
    else:
        parts.append(
            _("Status koperasi kini: %(status)s.")
            % {"status": Subscription.Status(sub.status).label}
        )
    if done.unpaid:
        items = []
        for inv in done.unpaid:
            row = {
                "n": inv.number,
                "a": format_rupiah(inv.amount_due),
                "d": format_date(inv.due_on),
            }
            if inv.status == inv.Status.AWAITING:
                items.append(_("%(n)s (%(a)s, bukti transfer menunggu konfirmasi)") % row)
            else:
                items.append(_("%(n)s (%(a)s, jatuh tempo %(d)s)") % row)
        parts.append(_("Masih belum dibayar: %(list)s.") % {"list": "; ".join(items)})
    return " ".join(parts)


def _plan_change_message(done: services.PlanChangeOutcome) -> str:
    """Says whether the plan applies now, once its difference is paid, or at renewal."""
    sub = done.subscription
    plan = sub.next_plan or sub.plan
    interval = sub.next_interval or sub.interval
    figures = {
        "plan": plan.name,
        "interval": Interval(interval).label.lower(),
        "was": done.was.name,
    }
    if done.outcome == "changed":
        return _("Paket diganti menjadi %(plan)s (%(interval)s).") % figures
    if done.outcome == "invoiced":
        return _(
            "Tagihan selisih %(n)s (%(a)s) diterbitkan; paket berganti menjadi %(plan)s "
            "setelah dibayar, sampai itu tetap %(was)s."
        ) % (figures | {"n": done.invoice.number, "a": format_rupiah(done.invoice.amount_due)})
    if done.from_date is not None:
        return _(
            "Paket %(plan)s berlaku mulai %(d)s (periode berikutnya); sampai itu tetap %(was)s."
        ) % (figures | {"d": format_date(done.from_date)})
    return _("Paket %(plan)s berlaku mulai periode berikutnya; sampai itu tetap %(was)s.") % (
        figures
    )


def tenant_action(request, pk: int, action: str):
    if action not in ACTION_FORMS:
        raise Http404
    return _tenant_action(request, pk=pk, action=action)


@operator_required()
def _tenant_action(request, *, pk: int, action: str):
    if not can(request.user, action):
        raise operator_refusal(request.user)
    coop = get_object_or_404(Cooperative.objects.exclude(schema_name="public"), pk=pk)
    form_class, title = ACTION_FORMS[action]
    kwargs = {}
    if form_class is forms.PaymentForm:
        kwargs["subscription"] = getattr(coop, "subscription", None)
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with application_errors_to(form) as outcome:
            if action == "export":
                zipfile = tenant_export(
                    operator=request.user,
                    cooperative=coop,
                    reason=data["reason"],
                    dump=data["dump"],
                )
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
                return FileResponse(
                    zipfile, as_attachment=True, filename=f"lumbung-{coop.slug}-{stamp}.zip"
                )
            if action == "delete":
                services.tenant_delete(
                    operator=request.user,
                    cooperative=coop,
                    confirm=data["confirm_slug"],
                    reason=data["reason"],
                )
                messages.success(request, _("Koperasi %(s)s dihapus.") % {"s": coop.slug})
                return redirect("console:tenants")
            if action == "support":
                _session, url = support_session_start(
                    operator=request.user,
                    cooperative=coop,
                    reason=data["reason"],
                    minutes=data["minutes"],
                )
                return redirect(url)
            message = _perform(action, request, coop, data)
        if outcome.ok:
            messages.success(request, message)
            return redirect("console:tenant", pk=coop.pk)
    return render(
        request,
        "console/action.html",
        {"coop": coop, "form": form, "title": title, "action": action, "tab": "tenants"},
    )


@operator_required(action="record_payment")
def deleted_list(request):
    """Cooperatives deleted from the console (every one; "no invoices" for one that
    issued none) with the invoices and credit notes they left (tax records), searchable, a page at a time: the page's cooperatives and all
    their documents are one query (billing.selectors.deleted_cooperatives). Billing and
    admin operators, who download those PDFs."""
    form = forms.DeletedFilterForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = paginate(request, deleted_cooperatives(q=q), per_page=25)
    for row in page:
        row.documents = deleted_cooperative_documents(cooperative=row)
    return render(
        request,
        "console/deleted_list.html",
        {"page": page, "filter_form": form, "q": q, "tab": "deleted"},
    )


@operator_required()
def signup_list(request):
    return render(
        request,
        "console/signups.html",
        {"page": paginate(request, selectors.failed_signups(), per_page=50), "tab": "signups"},
    )


@operator_required(action="retry_provisioning")
def signup_retry(request, pk: int):
    signup = get_object_or_404(SignupRequest, pk=pk)
    form = forms.ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            services.signup_retry(
                operator=request.user, signup=signup, reason=form.cleaned_data["reason"]
            )
        if outcome.ok:
            messages.success(request, _("Pendaftaran %(s)s diantrekan ulang.") % {"s": signup.slug})
            return redirect("console:signups")
    return render(
        request,
        "console/action.html",
        {
            "signup": signup,
            "form": form,
            "title": _("Ulangi penyiapan"),
            "action": "retry",
            "tab": "signups",
        },
    )


@operator_required()
def health(request):
    return render(
        request,
        "console/health.html",
        {
            "h": selectors.health(),
            "can_migrate": can(request.user, "migrate"),
            "can_refresh": can(request.user, "stats_refresh"),
            "tab": "health",
        },
    )


@require_POST
@operator_required(action="migrate")
def migrate_start(request):
    with application_errors_to_messages(request) as outcome:
        run = services.migration_run_start(
            operator=request.user, reason=request.POST.get("reason", "")
        )
    if outcome.ok:
        messages.success(request, _("Migrasi massal #%(n)s diantrekan.") % {"n": run.pk})
    return redirect("console:health")


@operator_required()
def migration_run(request, pk: int):
    run = get_object_or_404(MigrationRun, pk=pk)
    return render(request, "console/migration_run.html", {"run": run, "tab": "health"})


@require_POST
@operator_required(action="stats_refresh")
def stats_refresh_now(request):
    """Queue a refresh of every tenant's figures (the periodic task, now); audited."""
    services.stats_refresh_request(operator=request.user)
    messages.success(request, _("Pembaruan statistik diantrekan."))
    return redirect(_safe_next(request, request.POST.get("next", "")))


# -- terms of use: announcing a new version (§8) ----------------------------------------


def _terms_page(request, form=None):
    rows = terms_console.terms_page()
    if form is None:
        form = forms.TermsAnnounceForm(
            versions=[r.version for r in rows if r.state == "upcoming" and not r.announcement]
        )
    return render(
        request,
        "console/terms.html",
        {
            "rows": rows,
            "form": form,
            "can_announce": can(request.user, "announce_terms"),
            "notice_days": NOTICE_DAYS,
            "tab": "terms",
        },
    )


@operator_required()
def terms(request):
    """Every registered version of the terms: in force or not, announced when and by
    whom, e-mailed to how many cooperatives of how many, the failures; admin operators
    announce an upcoming version and send the failed e-mails again."""
    return _terms_page(request)


@require_POST
@operator_required(action="announce_terms")
def terms_announce(request):
    rows = terms_console.terms_page()
    form = forms.TermsAnnounceForm(
        request.POST,
        versions=[r.version for r in rows if r.state == "upcoming" and not r.announcement],
    )
    if form.is_valid():
        with application_errors_to(form) as outcome:
            announcement = terms_console.terms_announce(
                operator=request.user,
                version=form.cleaned_data["version"],
                summary=form.cleaned_data["summary"],
            )
        if outcome.ok:
            messages.success(
                request,
                _("Versi %(v)s diumumkan: e-mail kepada admin %(n)s koperasi diantrekan.")
                % {"v": announcement.version, "n": announcement.deliveries.count()},
            )
            return redirect("console:terms")
    return _terms_page(request, form)


@require_POST
@operator_required(action="announce_terms")
def terms_resend(request, pk: int):
    announcement = get_object_or_404(TermsAnnouncement, pk=pk)
    with application_errors_to_messages(request) as outcome:
        count = terms_console.terms_announcement_resend(
            operator=request.user, announcement=announcement
        )
    if outcome.ok:
        messages.success(
            request,
            _("E-mail pengumuman versi %(v)s kepada %(n)s koperasi diantrekan lagi.")
            % {"v": announcement.version, "n": count},
        )
    return redirect("console:terms")


# -- Dinas officers (pembina) ------------------------------------------------------------


@operator_required()
def pembina_list(request):
    form = forms.PembinaFilterForm(request.GET or None)
    q = active = ""
    if form.is_valid():
        q, active = form.cleaned_data["q"], form.cleaned_data["active"]
    return render(
        request,
        "console/pembina_list.html",
        {
            "filter_form": form,
            "page": paginate(request, pembina_query(q=q, active=active), per_page=50),
            "can_manage": can(request.user, "pembina"),
            "tab": "pembina",
        },
    )


@operator_required(action="pembina")
def pembina_new(request):
    form = forms.PembinaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with application_errors_to(form) as outcome:
            pembina, password = pembina_create(
                email=data["email"],
                name=data["name"],
                province=data["province"],
                regency=data["regency"],
                by=request.user,
            )
        if outcome.ok:
            # the generated password is shown once, on this response only
            return render(
                request,
                "console/pembina_created.html",
                {"pembina": pembina, "password": password, "tab": "pembina"},
            )
    return render(request, "console/pembina_form.html", {"form": form, "tab": "pembina"})


@operator_required(action="pembina")
def pembina_active(request, pk: int, action: str):
    if action not in ("nonaktifkan", "aktifkan"):
        raise Http404
    pembina = get_object_or_404(Pembina.objects.select_related("user"), pk=pk)
    form = forms.ConfirmForm(request.POST or None)
    title = _("Nonaktifkan pembina") if action == "nonaktifkan" else _("Aktifkan pembina")
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            pembina_active_set(
                pembina=pembina,
                active=action == "aktifkan",
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        if outcome.ok:
            messages.success(request, _("Pembina %(e)s diperbarui.") % {"e": pembina.user.username})
            return redirect("console:pembina")
    return render(
        request,
        "console/pembina_action.html",
        {"pembina": pembina, "form": form, "title": title, "tab": "pembina"},
    )
