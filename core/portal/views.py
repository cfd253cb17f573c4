"""The member portal (role anggota): own balances, transactions, loans, deductions."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.password_validation import password_validators_help_texts
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.common.errors import ApplicationError
from core.common.fields import RupiahField
from core.common.forms import application_errors_to
from core.common.http import client_ip
from core.common.pagination import paginate
from core.common.permissions import R, role_required
from core.common.ratelimit import rate_limit_hit
from core.users.devices import device_remember
from core.yearend.allocation import MEMBER_POOLS
from core.yearend.rat import posted_remainder_notes, rounding_notes, to_reserve_notes
from core.yearend.selectors import member_shares, share_payouts, year_fund_split

from . import data
from .activation import (
    LOGIN_EMAIL_MAX,
    activation_read,
    members_invitable,
    members_invite,
    portal_activation_ask,
    portal_activation_complete,
)

MEMBERS = frozenset({R.ANGGOTA})
ZERO = Decimal("0")


def _member_or_none(request):
    return data.member_of(request.user)


def _no_member(request):
    return render(request, "portal/no_member.html", status=200)


@role_required(read=MEMBERS, write=MEMBERS)
def home(request):
    member = _member_or_none(request)
    if member is None:
        return _no_member(request)
    return render(
        request,
        "portal/home.html",
        {
            "member": member,
            "accounts": data.savings_accounts(member),
            "savings_total": data.savings_total(member),
            "loans": data.loans(member),
            "dues": data.loans_due(member, timezone.localdate()),
            "last_deduction": data.last_deduction(member),
            "earlier_memberships": data.earlier_memberships(member),
            "simulation_url": data.simulation_url(),
            "active_tab": "home",
        },
    )


DEFAULT_PERIOD_DAYS = 90


class PeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("Dari"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Sampai"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        end = data.get("date_to")
        # only an end date: the 90 days up to it, which the calendar must hold
        if (
            not data.get("date_from")
            and end
            and end < dt.date.min + dt.timedelta(days=DEFAULT_PERIOD_DAYS)
        ):
            self.add_error(
                "date_to",
                _("Tanggal terlalu awal: tidak ada %(n)d hari sebelumnya. Isi juga tanggal Dari.")
                % {"n": DEFAULT_PERIOD_DAYS},
            )
        return data


PERIOD_YEARS_OFFERED = 10  # whole-year shortcuts: this year and up to nine before


def _period(cleaned: dict, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for: both dates as typed (the wrong way round: the period
    meant, as reports do); only a start: up to today; only an end: the 90 days up to it;
    neither: the last 90 days."""
    date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
    if date_to is None:
        date_to = today if date_from is None or date_from <= today else date_from
    if date_from is None:
        date_from = date_to - dt.timedelta(days=DEFAULT_PERIOD_DAYS)
    return min(date_from, date_to), max(date_from, date_to)


def _period_shortcuts(member, today: dt.date) -> list[dict]:
    """Links to the periods a member most often wants: the last 90 days, each whole year
    since joining (the last ten), and everything since joining (the first membership's
    join date, when they left and joined again)."""
    joined = min([member.join_date, *(m.join_date for m in data.earlier_memberships(member))])
    first_year = max(joined.year, today.year - PERIOD_YEARS_OFFERED + 1)
    out = [
        {
            "label": _("%(n)d hari terakhir") % {"n": DEFAULT_PERIOD_DAYS},
            "date_from": today - dt.timedelta(days=DEFAULT_PERIOD_DAYS),
            "date_to": today,
        }
    ]
    out += [
        {"label": str(y), "date_from": dt.date(y, 1, 1), "date_to": dt.date(y, 12, 31)}
        for y in range(today.year, first_year - 1, -1)
    ]
    out.append({"label": _("Sejak bergabung"), "date_from": joined, "date_to": today})
    return out


@role_required(read=MEMBERS, write=MEMBERS)
def transactions(request):
    member = _member_or_none(request)
    if member is None:
        return _no_member(request)
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    context = {
        "member": member,
        "form": form,
        "shortcuts": _period_shortcuts(member, today),
        "active_tab": "transactions",
    }
    if form.is_bound and not form.is_valid():
        # a date that is not one: say so, and show no period's figures in its place
        context.update({"statement": None, "errors": form.errors})
        return render(request, "portal/transactions.html", context, status=400)
    date_from, date_to = _period(form.cleaned_data if form.is_bound else {}, today)
    statement = data.savings_statement(member, date_from, date_to)
    if request.GET.get("format") == "pdf":  # the kartu simpanan of the period, printable
        resp = HttpResponse(
            data.savings_statement_pdf(member, statement, date_from, date_to),
            content_type="application/pdf",
        )
        resp["Content-Disposition"] = f'inline; filename="kartu-simpanan-{member.number}.pdf"'
        return resp
    # the accounts of an earlier membership (the person left and joined again), closed
    # at that exit: their movements are the person's too
    earlier = [
        {"membership": m, "statement": data.savings_statement(m, date_from, date_to)}
        for m in data.earlier_memberships(member)
    ]
    context.update(
        {
            "statement": statement,
            "earlier_statements": earlier,
            "date_from": date_from,
            "date_to": date_to,
        }
    )
    return render(request, "portal/transactions.html", context)


@role_required(read=MEMBERS, write=MEMBERS)
def loan_list(request):
    member = _member_or_none(request)
    if member is None:
        return _no_member(request)
    return render(
        request,
        "portal/loans.html",
        {
            "member": member,
            "loans": data.loans_with_earlier(member),
            "simulation_url": data.simulation_url(),
            "active_tab": "loans",
        },
    )


@role_required(read=MEMBERS, write=MEMBERS)
def loan_detail(request, pk: int):
    member = _member_or_none(request)
    if member is None:
        raise Http404
    loan = data.loan_for_member(member, pk)
    if loan is None:
        raise Http404
    today = timezone.localdate()
    reschedules = data.loan_reschedules(loan)
    return render(
        request,
        "portal/loan_detail.html",
        {
            "member": member,
            "loan": loan,
            "dues": data.loan_due(loan, today),
            "quote": data.loan_payoff_quote(loan, today),
            "today": today,
            "schedule": data.loan_schedule(loan, today),
            "payments": data.loan_payments(loan),
            "reschedules": reschedules,
            "tenor_now": reschedules[-1].new_tenor if reschedules else loan.tenor,
            "topped_up_by": data.loan_topped_up_by(loan),
            "write_off": data.loan_write_off(loan),
            "active_tab": "loans",
        },
    )


class SimulateForm(forms.Form):
    product = forms.ChoiceField(label=_("Produk"))
    principal = RupiahField(label=_("Jumlah pinjaman (Rp)"), min_value=1)
    tenor = forms.IntegerField(label=_("Tenor (bulan)"), min_value=1, max_value=360)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {str(p.pk): p for p in products}
        self.fields["product"].choices = [(str(p.pk), p.choice_label) for p in products]


@role_required(read=MEMBERS, write=frozenset())
def simulate(request):
    """Loan simulation for a member: schedule and fees of a would-be loan. A GET form:
    it computes and writes nothing."""
    member = _member_or_none(request)
    if member is None:
        return _no_member(request)
    products = data.loan_products()
    form = SimulateForm(request.GET or None, products=products)
    sim = None
    if form.is_bound and form.is_valid():
        with application_errors_to(form):
            sim = data.loan_simulate(
                product=form.products[form.cleaned_data["product"]],
                principal=form.cleaned_data["principal"],
                tenor=form.cleaned_data["tenor"],
                on=timezone.localdate(),
            )
    return render(
        request,
        "portal/simulate.html",
        {"member": member, "form": form, "sim": sim, "active_tab": "loans"},
    )


@role_required(read=MEMBERS, write=MEMBERS)
def deductions(request):
    member = _member_or_none(request)
    if member is None:
        return _no_member(request)
    history = data.deduction_history(member)
    page = paginate(request, history)
    return render(
        request,
        "portal/deductions.html",
        {
            "member": member,
            "page": page,
            "available": True,
            "active_tab": "deductions",
        },
    )


def _decimal_or_none(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@role_required(read=MEMBERS, write=MEMBERS)
def shu(request):
    """The member's SHU per posted year and how it was computed: their capital and jasa
    paid, the totals of all members, the pools and the AD/ART percentages."""
    member = _member_or_none(request)
    if member is None:
        return _no_member(request)
    rows = []
    # the person's shares: an earlier membership's (they left and joined again; the
    # login moved here) is theirs too and may still be unpaid
    shares = member_shares(member=member, earlier_memberships=True)
    payouts = share_payouts(shares=shares)
    for s in shares:
        ye = s.year_end
        paid_out = sum((p.amount for p in payouts[s.pk] if p.reversal_entry_id is None), ZERO)
        # the snapshot keeps them as JSON text ("22.50"); as Decimals the template writes
        # them in the reader's language ("22,50" in Indonesian), as the staff screens do
        pct = (ye.settings_snapshot or {}).get("percentages") or {}
        if ye.old_books:
            # brought in from the old books at the move-in: the share and its payouts
            # only (the year's pools and capitals are in the old books)
            rows.append(
                {
                    "share": s,
                    "old_books": True,
                    "earlier_membership": s.member if s.member_id != member.pk else None,
                    "year": ye.year,
                    "payouts": payouts[s.pk],
                    "settled_at_exit": s.paid
                    - sum((p.amount for p in payouts[s.pk] if p.reversal_entry_id is None), ZERO),
                    "rat_decision": ye.rat_decision,
                    "rat_date": ye.rat_date,
                }
            )
            continue
        rows.append(
            {
                "share": s,
                "earlier_membership": s.member if s.member_id != member.pk else None,
                "year": ye.year,
                "shu_after_tax": ye.shu_after_tax,
                "pct_jasa_modal": _decimal_or_none(pct.get("jasa_modal")),
                "pct_jasa_anggota": _decimal_or_none(pct.get("jasa_anggota")),
                "pool_jma": ye.funds.get("jasa_modal"),
                "pool_jua": ye.funds.get("jasa_anggota"),
                "total_capital": ye.funds.get("total_capital"),
                "total_contribution": ye.funds.get("total_contribution"),
                "payouts": payouts[s.pk],
                # what the exit settlement counted of it (paid with the settlement, no
                # payout of its own)
                "settled_at_exit": s.paid - paid_out,
                "rat_decision": ye.rat_decision,
                "rat_date": ye.rat_date,
                # a pool nobody had a claim on went to cadangan: say so beside its Rp 0;
                # what rounding the shares left of the pools went there too
                "to_reserve_notes": rounding_notes(year_fund_split(ye))
                + to_reserve_notes(
                    {p: Decimal(ye.funds.get(f"{p}_to_cadangan", "0")) for p in MEMBER_POOLS}
                ),
                # why members with equal capital may differ by one unit: where the leftover
                # units of a pool went (only where there were any)
                "remainder_notes": list(posted_remainder_notes(ye).values()),
            }
        )
    return render(request, "portal/shu.html", {"member": member, "rows": rows, "active_tab": "shu"})


# ------------------------------------------------------------- self-activation


class ActivationRequestForm(forms.Form):
    number = forms.CharField(label=_("Nomor anggota"), max_length=30)
    nip = forms.CharField(
        label=_("NIP"), max_length=30, required=False, help_text=_("Isi NIP atau tanggal lahir.")
    )
    birth_date = forms.DateField(
        label=_("Tanggal lahir"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("Tautan aktivasi dikirim ke alamat ini."),
        max_length=LOGIN_EMAIL_MAX,  # it becomes the login
        error_messages={
            "max_length": _(
                "Alamat e-mail ini terlalu panjang untuk login (paling banyak "
                "%(limit_value)d karakter, ini %(show_value)d). Pakai alamat yang lebih pendek."
            )
        },
    )

    def clean(self):
        data = super().clean()
        if not (data.get("nip") or "").strip() and not data.get("birth_date"):
            self.add_error("nip", _("Isi NIP atau tanggal lahir."))
        return data


def _password_rules() -> str:
    """The password validators' rules, said before typing, in the reader's language."""
    return " ".join(password_validators_help_texts())


class ActivationPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Kata sandi"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=lazy(_password_rules, str)(),
    )
    password2 = forms.CharField(
        label=_("Ulangi kata sandi"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("Kedua kata sandi tidak sama."))
        return data


ACTIVATION_IP_LIMIT = 10  # requests an hour from one client address
ACTIVATION_NUMBER_LIMIT = 5  # requests an hour for one member number


def activate(request):
    """A member asks for their portal login: member number + NIP or date of birth +
    e-mail. One answer whatever matched, and the same work: the check and the e-mail are
    tasks queued on commit (``portal_activation_ask``); rate-limited per client and per
    member number."""
    if request.user.is_authenticated:
        return redirect("home")
    form = ActivationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        schema = connection.schema_name
        number = form.cleaned_data["number"].strip()
        limited = rate_limit_hit(
            key=f"activate-ip:{schema}:{client_ip(request)}", limit=ACTIVATION_IP_LIMIT, window=3600
        ) | rate_limit_hit(
            key=f"activate-no:{schema}:{number.lower()}",
            limit=ACTIVATION_NUMBER_LIMIT,
            window=3600,
        )
        if limited:
            form.add_error(None, _("Terlalu banyak permintaan; coba lagi dalam satu jam."))
            return render(request, "portal/activate.html", {"form": form}, status=429)
        portal_activation_ask(
            number=number,
            nip=form.cleaned_data["nip"],
            birth_date=form.cleaned_data["birth_date"],
            email=form.cleaned_data["email"],
        )
        return render(request, "portal/activate_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "portal/activate.html", {"form": form})


def activate_confirm(request, token: str):
    """The e-mailed link: set a password; the login is created, linked and signed in."""
    try:
        member, email = activation_read(token)
    except ApplicationError as err:
        return render(request, "portal/activate_confirm.html", {"invalid": err.message}, status=400)
    form = ActivationPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            user = portal_activation_complete(token=token, password=form.cleaned_data["password1"])
        if outcome.ok:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Login portal Anda aktif. Selamat datang!"))
            response = redirect("portal:home")
            device_remember(request=request, response=response, user=user)  # their browser
            return response
    return render(
        request,
        "portal/activate_confirm.html",
        {"form": form, "member": member, "email": email},
    )


# ------------------------------------------------------------- bulk invitations

ADMINS = frozenset({R.ADMIN})


class InviteForm(forms.Form):
    """The members checked on the invitation page; a value that is not an id is skipped."""

    member = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def clean_member(self) -> list[int]:
        return [int(x) for x in self.cleaned_data["member"] or [] if x.isascii() and x.isdigit()]


@role_required(read=ADMINS, write=ADMINS)
def invite_members(request):
    """Admin: choose members with an e-mail and no login; each gets an anggota login and
    an e-mail to set a password (a task queued on commit)."""
    if request.method == "POST":
        form = InviteForm(request.POST)
        ids = form.cleaned_data["member"] if form.is_valid() else []
        if not ids:
            messages.error(request, _("Pilih setidaknya satu anggota."))
        else:
            result = members_invite(by=request.user, member_ids=ids)
            n = len(result.invited)
            if n or not result.too_long:
                messages.success(
                    request,
                    ngettext("%(n)d undangan portal dikirim.", "%(n)d undangan portal dikirim.", n)
                    % {"n": n},
                )
            if result.too_long:
                messages.warning(
                    request,
                    _(
                        "Tidak diundang karena alamat e-mailnya lebih dari %(max)s karakter, "
                        "terlalu panjang untuk login: %(members)s. Perbaiki e-mailnya di data "
                        "anggota."
                    )
                    % {
                        "max": LOGIN_EMAIL_MAX,
                        "members": ", ".join(f"{m.number} {m.full_name}" for m in result.too_long),
                    },
                )
        return redirect("portal-invite")
    page = paginate(request, members_invitable(), per_page=100)
    return render(request, "portal/invite.html", {"page": page})
