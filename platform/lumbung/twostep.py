"""The apex host's two-step login (password, then a TOTP code; a TOTP authenticator is
enrolled on the first login), shared by the operator console and the Dinas view.

Each of them is one ``TwoStepLogin``: its URL namespace (the pages ``<ns>:login``,
``<ns>:login-verify`` and ``<ns>:enrol``, the templates ``<ns>/login.html``,
``<ns>/login_verify.html`` and ``<ns>/enrol.html``), the page after login, the audit
action, who may log in and the words that refuse everyone else. After the password the
session holds only the pending user (a few minutes); it is logged in after the code.
A wrong code counts as a failed login (django-axes, and the per-address and
per-username caps of ``core.users.throttle``): when locked out, 429 and the pending
user is gone. A login remembers this browser (``core.users.devices``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import get_user_model, logout, user_login_failed
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from core.audit.services import audit_log
from core.users import enrolment
from core.users.devices import device_remember
from core.users.forms import LoginForm, TokenForm
from core.users.throttle import login_throttled

PENDING_TTL = 5 * 60


def safe_next(request, nxt: str, *, home: str) -> str:
    """``nxt`` when it stays on this host, else the URL named ``home``."""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
        return nxt
    return reverse(home)


@dataclass(frozen=True)
class TwoStepLogin:
    namespace: str  # "console": console:login, console/login_verify.html, ...
    home: str  # the URL name after login when no safe ``next`` was given
    pending_key: str  # the session key of the user between password and code
    audit_action: str
    may_enter: Callable  # (user) -> bool: who may log in here
    refusal: str  # said on the password step to a user who may not (lazily translated)

    def _url(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def _template(self, name: str) -> str:
        return f"{self.namespace}/{name}.html"

    def pending_user(self, request):
        """The user who passed the password step in this session and may log in here,
        with the pending record; (None, None) when there is none or it expired."""
        pending = request.session.get(self.pending_key)
        if not pending or time.time() - pending.get("at", 0) > PENDING_TTL:
            request.session.pop(self.pending_key, None)
            return None, None
        user = get_user_model().objects.filter(pk=pending["uid"], is_active=True).first()
        if user is None or not self.may_enter(user):
            return None, None
        return user, pending

    def password_valid(self, request, form):
        """Step 1 passed: keep the user pending, then the code, or enrolment first.
        A user who may not log in here gets the refusal on the form (None)."""
        user = form.get_user()
        if not self.may_enter(user):
            form.add_error(None, self.refusal)
            return None
        request.session[self.pending_key] = {
            "uid": user.pk,
            "backend": user.backend,
            "next": request.POST.get("next") or request.GET.get("next") or "",
            "at": int(time.time()),
        }
        if user_has_device(user, confirmed=True):
            return redirect(self._url("login-verify"))
        return redirect(self._url("enrol"))

    def finish(self, request, user, pending, device):
        request.session.pop(self.pending_key, None)
        user.backend = pending["backend"]
        auth_login(request, user)
        otp_login(request, device)
        audit_log(actor=user, action=self.audit_action, target=user)
        response = redirect(safe_next(request, pending.get("next", ""), home=self.home))
        # this browser is the person's: a guess from elsewhere does not lock it out
        device_remember(request=request, response=response, user=user)
        return response

    def _to_password_step(self, request):
        messages.info(request, _("Silakan masuk dengan kata sandi terlebih dahulu."))
        return redirect(self._url("login"))

    def verify_view(self, request):
        """Step 2: the code from the authenticator."""
        user, pending = self.pending_user(request)
        if user is None:
            return self._to_password_step(request)
        form = TokenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            device = match_token(user, form.cleaned_data["token"].strip())
            if device is not None:
                return self.finish(request, user, pending, device)
            credentials = {"username": user.get_username()}
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            # the wider per-address and per-username caps too, as the cooperative's login
            if AxesProxyHandler.is_locked(request, credentials) or login_throttled(
                request=request, username=user.get_username()
            ):
                request.session.pop(self.pending_key, None)
                return render(request, "registration/locked_out.html", status=429)
            form.add_error("token", _("Kode salah atau sudah kedaluwarsa."))
        return render(request, self._template("login_verify"), {"form": form})

    def enrol_view(self, request):
        """First login: set up a TOTP authenticator before anything else."""
        user, pending = self.pending_user(request)
        if user is None:
            return self._to_password_step(request)
        if user_has_device(user, confirmed=True):
            return redirect(self._url("login-verify"))
        return enrolment.enrolment_view(
            request,
            user=user,
            enrol_url=self._url("enrol"),
            template=self._template("enrol"),
            finish=lambda device: self.finish(request, user, pending, device),
        )

    @method_decorator(require_POST)
    def logout_view(self, request):
        logout(request)
        return redirect(self._url("login"))


class TwoStepLoginView(auth_views.LoginView):
    """Step 1, the password, on the apex host only; ``flow`` is the ``TwoStepLogin``."""

    flow: TwoStepLogin
    authentication_form = LoginForm

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "tenant", None) is None or not request.tenant.is_public:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        return [self.flow._template("login")]

    def form_valid(self, form):
        response = self.flow.password_valid(self.request, form)
        return self.form_invalid(form) if response is None else response
