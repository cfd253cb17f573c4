"""Sign-up pages on the apex host, and the one-time first login on the new host."""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.hashers import check_password
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.common.dates import format_date
from core.common.errors import ApplicationError
from core.common.forms import application_errors_to
from lumbung.terms import terms_in_force

from .forms import SignupForm
from .models import SignupRequest
from .ratelimit import client_ip, rate_limit_hit
from .regions import regencies_of
from .services import LEGAL_NUMBER, NIK_KOPERASI, identifier_taken_error, tenant_host, tenant_url
from .signup import (
    SignupSubmitted,
    VerificationMail,
    login_token_check,
    login_token_use,
    login_url_for,
    signup_submit,
    signup_verification_check,
    signup_verification_resend,
    signup_verify,
    slug_availability,
    terms_announced_later,
)

# The sign-ups this browser submitted (and so knows the password of): only such a
# browser is logged in by the one-time link once the cooperative is ready. Another
# browser that presses the verification link's button (a forwarded e-mail, the phone)
# verifies the address and is then asked for the password at the new host; one that
# only opens the link (a mail scanner) changes nothing.
SESSION_KEY = "signup_submitted"


def _limit(name: str, default: tuple[int, int]) -> tuple[int, int]:
    return getattr(settings, name, default)


def _apex_only(request) -> None:
    if getattr(request, "tenant", None) is not None and not request.tenant.is_public:
        raise Http404


@require_http_methods(["GET", "POST"])
def signup_form(request):
    _apex_only(request)
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if form.is_bot:
            # Look like success to the bot; record nothing.
            return render(request, "tenants/signup_sent.html", {"signup": None})
        if form.is_valid():
            # Only complete sign-ups count: a stranger's empty posts from the same
            # address (an office NAT, a proxy) must not block real ones.
            limit, window = _limit("SIGNUP_RATE_LIMIT", (10, 3600))
            if rate_limit_hit(key=f"signup:{client_ip(request)}", limit=limit, window=window):
                return render(
                    request,
                    "tenants/signup_form.html",
                    {"form": form, "rate_limited": True, **_terms_shown()},
                    status=429,
                )
            with application_errors_to(form) as outcome:
                submitted = signup_submit(data=form.to_data(), ip=client_ip(request))
            if outcome.ok:
                signup = submitted.signup
                _tell_about_the_email(request, submitted)
                # A double submit returns the first request; only a browser that knows
                # its password is marked (someone re-sending another person's form with
                # the same slug and e-mail is not).
                if check_password(form.cleaned_data["password"], signup.password_hash):
                    submitted = set(request.session.get(SESSION_KEY, []))
                    submitted.add(signup.public_id)
                    request.session[SESSION_KEY] = sorted(submitted)
                return redirect("signup:status", public_id=signup.public_id)
    return render(request, "tenants/signup_form.html", {"form": form, **_terms_shown()})


def _terms_shown() -> dict:
    """The version of the terms the form asks to accept (the one in force: its id goes
    back with the form and is recorded) and a later one announced to cooperatives,
    which applies from its date."""
    in_force, later = terms_in_force(), terms_announced_later()
    return {
        "terms_shown": in_force,
        "terms_shown_since": format_date(in_force.effective_on),
        "terms_later": later,
        "terms_later_on": format_date(later.effective_on) if later else "",
    }


def _tell_about_the_email(request, submitted: SignupSubmitted) -> None:
    """The form sent again: say whether a fresh verification e-mail went out, or when
    one may be asked for."""
    email = submitted.signup.email
    if submitted.mail == VerificationMail.RESENT:
        messages.success(
            request,
            _("Tautan verifikasi telah dikirim ulang ke %(email)s. Periksa juga folder spam.")
            % {"email": email},
        )
    elif submitted.mail == VerificationMail.TOO_SOON:
        wait = (submitted.resend_at - timezone.now()).total_seconds()
        minutes = max(1, math.ceil(wait / 60))
        messages.info(
            request,
            ngettext(
                "Tautan verifikasi sudah dikirim ke %(email)s. Jika belum masuk, periksa "
                "juga folder spam; tautan dapat dikirim ulang dalam %(n)s menit.",
                "Tautan verifikasi sudah dikirim ke %(email)s. Jika belum masuk, periksa "
                "juga folder spam; tautan dapat dikirim ulang dalam %(n)s menit.",
                minutes,
            )
            % {"email": email, "n": minutes},
        )


@require_GET
def slug_check(request):
    """htmx: is this address free? Answers a small fragment."""
    _apex_only(request)
    limit, window = _limit("SIGNUP_CHECK_RATE_LIMIT", (120, 60))
    if rate_limit_hit(key=f"slugcheck:{client_ip(request)}", limit=limit, window=window):
        return HttpResponse(_("Terlalu banyak permintaan; coba lagi sebentar."), status=429)
    slug = (request.GET.get("slug") or "").strip().lower()
    problem = slug_availability(slug) if slug else None
    return render(
        request,
        "tenants/_slug_status.html",
        {"slug": slug, "problem": problem, "host": tenant_host(slug) if slug else ""},
    )


@require_GET
def regency_options(request):
    """htmx: the <option>s of the regency list for a province."""
    _apex_only(request)
    return render(
        request,
        "tenants/_regency_options.html",
        {"regencies": regencies_of(request.GET.get("province", ""))},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request, token: str):
    """The e-mailed link. A GET only shows what the button will do (mail scanners open
    every link in an e-mail); the button (POST) verifies and queues provisioning."""
    _apex_only(request)
    try:
        signup = signup_verification_check(token=token)
        if signup.status != SignupRequest.Status.PENDING:
            messages.info(request, _("Alamat e-mail ini sudah diverifikasi."))
        elif request.method == "POST":
            signup = signup_verify(token=token)
        else:
            context = {"signup": signup, "host": tenant_host(signup.slug)}
            return render(request, "tenants/signup_verify.html", context)
    except ApplicationError as exc:
        return render(
            request, "tenants/signup_link_error.html", {"error": exc}, status=exc.status_code
        )
    return redirect("signup:status", public_id=signup.public_id)


@require_GET
def status(request, public_id: str):
    _apex_only(request)
    signup = get_object_or_404(SignupRequest, public_id=public_id)
    may_login = public_id in request.session.get(SESSION_KEY, [])
    if signup.status == SignupRequest.Status.READY and may_login and signup.login_used_at is None:
        target = login_url_for(signup=signup)
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    context = {
        "signup": signup,
        "tenant_url": tenant_url(signup.slug),
        "tenant_login_url": tenant_url(signup.slug) + "masuk/",
        "may_resend": may_login and signup.status == SignupRequest.Status.PENDING,
        "polling": signup.status
        in (SignupRequest.Status.QUEUED, SignupRequest.Status.PROVISIONING),
        # a refusal the sign-up itself can act on, said as the form would have said it
        "failure_message": _failure_message(signup),
    }
    template = "tenants/_status_panel.html" if request.htmx else "tenants/signup_status.html"
    return render(request, template, context)


def _failure_message(signup: SignupRequest) -> str:
    """A refusal the sign-up itself can act on (the legal number or NIK koperasi is
    another cooperative's), said as the form would have said it; "" otherwise."""
    if signup.status != SignupRequest.Status.FAILED:
        return ""
    for identifier in (LEGAL_NUMBER, NIK_KOPERASI):
        if signup.last_error.startswith(identifier.code):
            return identifier_taken_error(identifier).message
    return ""


@require_POST
def resend(request, public_id: str):
    """The status page's button: e-mail the verification link again. Only the browser
    that submitted the form may ask (anyone else who knows the status address could
    otherwise send mail to the address)."""
    _apex_only(request)
    if public_id not in request.session.get(SESSION_KEY, []):
        raise Http404
    signup = get_object_or_404(SignupRequest, public_id=public_id)
    _tell_about_the_email(request, signup_verification_resend(signup=signup))
    return redirect("signup:status", public_id=public_id)


@never_cache
@require_http_methods(["GET", "POST"])
def token_login(request, token: str):
    """On the new cooperative's host: a GET shows the button, the button (POST) spends
    the one-time link and logs the admin in."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        raise Http404
    try:
        if request.method != "POST":
            signup = login_token_check(token=token, cooperative_id=tenant.pk)
            return render(request, "tenants/token_login.html", {"signup": signup})
        user_id = login_token_use(token=token, cooperative_id=tenant.pk)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
        return redirect("login")
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Selamat datang! Koperasi Anda siap dipakai."))
    return redirect("home")
