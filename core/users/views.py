"""Login (with optional TOTP second step), users and roles, own account."""

import time

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, logout, user_login_failed
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login

from core.audit.services import audit_log
from core.common.forms import application_errors_to, application_errors_to_messages
from core.common.http import client_ip
from core.common.mail import mail_task_queue_on_commit
from core.common.pagination import paginate
from core.common.permissions import STAFF, role_required
from core.common.ratelimit import rate_limit_hit
from core.users.audit import UserAudit

from . import apikeys, enrolment, services
from .devices import device_remember
from .forms import (
    ApiKeyForm,
    CurrentPasswordForm,
    LoginForm,
    PasswordResetForm,
    ProfileForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from .models import ApiKey, User
from .otp import totp_match
from .tasks import password_reset_mail_task
from .throttle import login_throttled
from .tokens import password_link_tokens

R = User.Role
USER_READERS = frozenset({R.ADMIN, R.PENGAWAS})
USER_WRITERS = frozenset({R.ADMIN})
PENDING_2FA_KEY = "lumbung_2fa_pending"
PENDING_2FA_TTL = 5 * 60


# ---------------------------------------------------------------- login


def _has_totp(user) -> bool:
    return user_has_device(user, confirmed=True)


class LoginView(auth_views.LoginView):
    """Password first; a user who enrolled a TOTP device then gives a code before the
    session is logged in (``login_verify``)."""

    template_name = "registration/login.html"
    authentication_form = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        if _has_totp(user):
            self.request.session[PENDING_2FA_KEY] = {
                "uid": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": int(time.time()),
            }
            return redirect("login-verify")
        response = super().form_valid(form)
        device_remember(request=self.request, response=response, user=user)
        return response


def login_verify(request):
    """Second step: the 6-digit code. Wrong codes count towards the axes lockout; a code
    taken here is spent in the login's practice copy too, and the other way round
    (``totp_match``)."""
    pending = request.session.get(PENDING_2FA_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_2FA_TTL:
        request.session.pop(PENDING_2FA_KEY, None)
        messages.info(request, _("Silakan masuk dengan kata sandi terlebih dahulu."))
        return redirect("login")
    user = get_user_model().objects.filter(pk=pending["uid"]).first()
    if user is None or not user.is_active:
        # deactivated since the password step: said as the login form says it
        request.session.pop(PENDING_2FA_KEY, None)
        messages.error(request, LoginForm.error_messages["inactive"])
        return redirect("login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = totp_match(user=user, token=form.cleaned_data["token"].strip())
        if device is not None:
            request.session.pop(PENDING_2FA_KEY, None)
            user.backend = pending["backend"]
            auth_login(request, user)
            otp_login(request, device)
            nxt = pending.get("next") or reverse("home")
            if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
                nxt = reverse("home")
            response = redirect(nxt)
            device_remember(request=request, response=response, user=user)
            return response
        credentials = {"username": user.get_username()}
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if AxesProxyHandler.is_locked(request, credentials) or login_throttled(
            request=request, username=user.get_username()
        ):
            request.session.pop(PENDING_2FA_KEY, None)
            return render(request, "registration/locked_out.html", status=429)
        form.add_error("token", _("Kode salah atau sudah kedaluwarsa."))
    return render(request, "registration/login_verify.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Reset by e-mail. The request only queues ``password_reset_mail_task`` when it
    commits, with the address as typed, whether a login has it or not: the task looks the
    logins up and sends, in this cooperative's schema, with a link on its configured
    address (not the Host header). So the answer, and the work done for it, are the same
    for every address — the time it took told a stranger which had a login — and a mail
    server's failure never reaches the page. At most ``PASSWORD_RESET_EMAIL_LIMIT``
    e-mails an hour to one address (more requests say the same "sent" and queue nothing:
    no mail bombing) and ``PASSWORD_RESET_IP_LIMIT`` requests an hour from one client
    address (then 429)."""

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetForm

    def form_valid(self, form):
        schema = connection.schema_name
        if rate_limit_hit(
            key=f"pwreset-ip:{schema}:{client_ip(self.request)}",
            limit=settings.PASSWORD_RESET_IP_LIMIT,
            window=3600,
        ):
            form.add_error(None, _("Terlalu banyak permintaan; coba lagi dalam satu jam."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        email = form.cleaned_data["email"]
        if rate_limit_hit(
            key=f"pwreset-email:{schema}:{email.strip().lower()}",
            limit=settings.PASSWORD_RESET_EMAIL_LIMIT,
            window=3600,
        ):
            return redirect(self.get_success_url())
        mail_task_queue_on_commit(
            password_reset_mail_task, email=email, language=translation.get_language()
        )
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "set a new password" page of a reset or invitation link, audited: the
    password of the link's user changed (``invited``: it set its first one). The token
    is checked with this cooperative's generator (``core.users.tokens``). The link
    proves the mailbox: this browser becomes a known one (``core.users.devices``)."""

    token_generator = password_link_tokens

    def get_user(self, uidb64):
        """The link's login while it is active: a login deactivated since the e-mail
        went out sets no password by it (the page says the link is void), as Django's
        reset form sends nothing to an inactive one."""
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        invited = not self.user.has_usable_password()
        with transaction.atomic():
            response = super().form_valid(form)
            services.user_password_changed(
                user=self.user,
                by=self.user,
                action=UserAudit.PASSWORD_RESET,
                data={"invited": invited},
            )
        device_remember(request=self.request, response=response, user=self.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """One's own new password, audited; the practice copy follows at once
    (``user_password_changed``). Other sessions end (Django's session hash) and other
    browsers' marks with them; this browser is marked again (``core.users.devices``)."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("account:profile")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.user_password_changed(
                user=self.request.user, by=self.request.user, action=UserAudit.PASSWORD_CHANGED
            )
        device_remember(request=self.request, response=response, user=self.request.user)
        messages.success(self.request, _("Kata sandi berhasil diubah."))
        return response


# ---------------------------------------------------------------- users and roles


@role_required(read=USER_READERS, write=frozenset())
def user_list(request):
    form = UserFilterForm(request.GET or None)
    qs = User.objects.filter(api_key__isnull=True).order_by("full_name", "username")
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if q:
            qs = qs.filter(
                Q(full_name__icontains=q) | Q(username__icontains=q) | Q(email__icontains=q)
            )
        if form.cleaned_data["role"]:
            qs = qs.filter(role=form.cleaned_data["role"])
        if form.cleaned_data["status"]:
            qs = qs.filter(is_active=form.cleaned_data["status"] == "active")
    return render(
        request,
        "users/user_list.html",
        {
            "page": paginate(request, qs),
            "filter_form": form,
            "can_write": request.user.role in USER_WRITERS,
        },
    )


@role_required(read=USER_WRITERS, write=USER_WRITERS)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            user = services.user_create(by=request.user, request=request, **form.cleaned_data)
        if outcome.ok:
            if form.cleaned_data["password"]:
                messages.success(request, _("Pengguna %(name)s dibuat.") % {"name": user})
            else:
                messages.success(
                    request,
                    _("Pengguna %(name)s dibuat; undangan dikirim ke %(email)s.")
                    % {"name": user, "email": user.email},
                )
            return redirect("users:list")
    return render(
        request, "users/user_form.html", {"form": form, "title": gettext_lazy("Pengguna baru")}
    )


@role_required(read=USER_WRITERS, write=USER_WRITERS)
def user_edit(request, pk: int):
    target = get_object_or_404(User.objects.filter(api_key__isnull=True), pk=pk)
    form = UserEditForm(
        request.POST or None, initial={"full_name": target.full_name, "role": target.role}
    )
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            services.user_update(by=request.user, user=target, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("Perubahan disimpan."))
            return redirect("users:list")
    return render(
        request,
        "users/user_edit.html",
        {"form": form, "target": target, "has_2fa": _has_totp(target)},
    )


@require_POST
@role_required(read=USER_WRITERS, write=USER_WRITERS)
def user_set_active(request, pk: int):
    target = get_object_or_404(User.objects.filter(api_key__isnull=True), pk=pk)
    active = request.POST.get("active") == "1"
    with application_errors_to_messages(request) as outcome:
        services.user_set_active(
            by=request.user, user=target, active=active, reason=request.POST.get("reason", "")
        )
    if outcome.ok:
        messages.success(
            request,
            (_("%(name)s diaktifkan.") if active else _("%(name)s dinonaktifkan."))
            % {"name": target},
        )
    return redirect("users:edit", pk=target.pk)


@require_POST
@role_required(read=USER_WRITERS, write=USER_WRITERS)
def user_reset_2fa(request, pk: int):
    target = get_object_or_404(User.objects.filter(api_key__isnull=True), pk=pk)
    with application_errors_to_messages(request) as outcome:
        services.totp_disable(user=target, by=request.user)
    if outcome.ok:
        messages.success(request, _("Dua langkah untuk %(name)s dimatikan.") % {"name": target})
    return redirect("users:edit", pk=target.pk)


# ---------------------------------------------------------------- own account

REAUTH_OK, REAUTH_WRONG, REAUTH_LOCKED = "ok", "wrong", "locked"


def _check_current_password(request, form, *, purpose: str) -> str:
    """Re-authentication on one's own account before a change that weakens it (the
    e-mail reset links go to, two-step off): the form's ``current_password`` checked as
    the login form checks a password (``authenticate`` with this request: django-axes
    counts a wrong one against this login name and address, and the wider caps of
    ``throttle`` apply). A wrong one is audited and put on the field; ``REAUTH_LOCKED``
    once the lockout is reached (the caller ends the session: ``_locked_out``)."""
    user = request.user
    password = form.cleaned_data.get("current_password") or ""
    if not password:
        form.add_error("current_password", _("Masukkan kata sandi Anda saat ini."))
        return REAUTH_WRONG
    found = authenticate(request, username=user.get_username(), password=password)
    if found is not None and found.pk == user.pk:
        return REAUTH_OK
    audit_log(actor=user, action=UserAudit.REAUTH_FAILED, target=user, data={"for": purpose})
    if getattr(request, "axes_locked_out", False) or login_throttled(
        request=request, username=user.get_username()
    ):
        return REAUTH_LOCKED
    form.add_error("current_password", _("Kata sandi saat ini salah."))
    return REAUTH_WRONG


def _locked_out(request):
    """Too many wrong passwords from an open session: it ends, as the login is locked."""
    logout(request)
    return render(request, "registration/locked_out.html", status=429)


def _email_changes(user, email: str) -> bool:
    return email.strip().lower() != (user.email or "").strip().lower()


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None, initial={"full_name": user.full_name, "email": user.email}
    )
    if request.method == "POST" and form.is_valid():
        checked = REAUTH_OK
        if _email_changes(user, form.cleaned_data["email"]):
            checked = _check_current_password(request, form, purpose="email_change")
        if checked == REAUTH_LOCKED:
            return _locked_out(request)
        if checked == REAUTH_OK:
            with application_errors_to(form) as outcome:
                services.profile_update(
                    user=user,
                    full_name=form.cleaned_data["full_name"],
                    email=form.cleaned_data["email"],
                )
            if outcome.ok:
                messages.success(request, _("Profil disimpan."))
                return redirect("account:profile")
    template = "portal/profile.html" if user.role == R.ANGGOTA else "users/profile.html"
    return render(
        request,
        template,
        {
            "form": form,
            "has_2fa": _has_totp(user),
            "can_2fa": user.role in STAFF,
            "disable_form": CurrentPasswordForm(auto_id="id_2fa_%s"),
            "active_tab": "profile",
        },
    )


@login_required
def two_factor(request):
    """Enrol a TOTP authenticator (staff only): *Mulai* makes a key, scan its QR code,
    type the first code (``core.users.enrolment``; a GET changes nothing)."""
    user = request.user
    if user.role not in STAFF:
        raise PermissionDenied
    if _has_totp(user):
        # Replacing the authenticator weakens the login as turning it off does (the
        # owner's phone stops, another starts): that goes through turning it off, which
        # asks for the password. No new key is made or confirmed here meanwhile.
        if request.method != "GET":
            messages.error(
                request,
                _(
                    "Verifikasi dua langkah sudah aktif. Matikan dulu verifikasi dua "
                    "langkah (dengan kata sandi Anda) sebelum memasang autentikator baru."
                ),
            )
        return render(
            request, "users/two_factor.html", {"enrolled": True, "form": CurrentPasswordForm()}
        )
    return enrolment.enrolment_view(
        request,
        user=user,
        enrol_url="account:two-factor",
        template="users/two_factor.html",
        finish=lambda device: _two_factor_finish(request, device),
        context={"enrolled": False},
    )


def _two_factor_finish(request, device):
    otp_login(request, device)
    return redirect("account:profile")


@require_POST
@login_required
def two_factor_disable(request):
    """Turn one's own two-step verification off, after giving the current password."""
    if request.user.role not in STAFF:
        raise PermissionDenied
    form = CurrentPasswordForm(request.POST)
    if form.is_valid():
        checked = _check_current_password(request, form, purpose="2fa_disable")
        if checked == REAUTH_LOCKED:
            return _locked_out(request)
        if checked == REAUTH_OK:
            services.totp_disable(user=request.user, by=request.user, password_checked=True)
            # this session proved the password just now; it no longer rests on the
            # device (TwoFactorSessionMiddleware would end it for the device's removal)
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, _("Verifikasi dua langkah dimatikan."))
            return redirect("account:profile")
    return render(
        request, "users/two_factor.html", {"enrolled": _has_totp(request.user), "form": form}
    )


# ---------------------------------------------------------------- API keys


@role_required(read=USER_WRITERS, write=USER_WRITERS)
def api_key_list(request):
    """The cooperative's API keys; a new key is shown on this response only."""
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        with application_errors_to(form) as outcome:
            new_key = apikeys.api_key_create(by=request.user, **form.cleaned_data)
        if outcome.ok:
            form = ApiKeyForm()
    keys = ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")
    response = render(
        request, "users/api_keys.html", {"form": form, "keys": keys, "new_key": new_key}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(read=USER_WRITERS, write=USER_WRITERS)
def api_key_revoke(request, pk: int):
    key = get_object_or_404(ApiKey, pk=pk)
    with application_errors_to_messages(request) as outcome:
        apikeys.api_key_revoke(by=request.user, api_key=key, reason=request.POST.get("reason", ""))
    if outcome.ok:
        messages.success(request, _("Kunci API %(name)s dicabut.") % {"name": key.name})
    return redirect("users:api-keys")
