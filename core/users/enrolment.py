"""The enrolment of a TOTP authenticator, shared by the account page (staff), the
console's and the Dinas view's first login.

A GET only shows: it writes no key, no session, nothing. A session that has not started
sees *Mulai*, a POST (CSRF-checked) that makes a new key — any key waiting unconfirmed is
void (``services.totp_enrolment_start``) — and keeps its id in this session; the page (a
GET again) then shows that key, the same one on every reload, until the first code from
the app confirms it. Only this session's key is confirmed here: a key shown to another
session (a stranger holding a first login's password reaches the enrolment page too) is
never the one the person confirms, and pressing *Mulai* there voids this one (the page
says to start again)."""

from __future__ import annotations

import io
from base64 import b32encode
from collections.abc import Callable

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.common.forms import application_errors_to

from . import services
from .forms import TokenForm

SESSION_KEY = "lumbung_totp_enrol"
START_FIELD = "start"


def totp_qr_svg(data: str) -> str:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    out = io.BytesIO()
    img.save(out)
    return out.getvalue().decode()


def totp_secret(device: TOTPDevice) -> str:
    """The key as typed into an app that cannot scan (base32, no padding)."""
    return b32encode(device.bin_key).decode().rstrip("=")


def enrolment_device(request, *, user) -> TOTPDevice | None:
    """The key this session started for ``user``, while it waits to be confirmed (a
    read: a key voided since, or never started, is None)."""
    started = request.session.get(SESSION_KEY)
    if not isinstance(started, dict) or started.get("uid") != user.pk:
        return None
    return TOTPDevice.objects.filter(pk=started.get("device"), user=user, confirmed=False).first()


def enrolment_start(request, *, user) -> TOTPDevice:
    """*Mulai* (a POST): a new key for ``user``, kept as this session's."""
    device = services.totp_enrolment_start(user=user)
    request.session[SESSION_KEY] = {"uid": user.pk, "device": device.pk}
    return device


def not_started_message() -> str:
    """Said to a code sent with no key of this session waiting (never started, or voided
    by *Mulai* in another session)."""
    return _(
        "Kunci autentikator belum dibuat atau sudah diganti di tempat lain. Tekan Mulai "
        "untuk membuat kunci baru."
    )


def enrolment_confirm(request, *, user, device: TOTPDevice, form) -> TOTPDevice | None:
    """Confirm this session's ``device`` with the form's code; the refusal goes on the
    form (None)."""
    with application_errors_to(form) as outcome:
        confirmed = services.totp_confirm(
            user=user, token=form.cleaned_data["token"], device=device
        )
    if not outcome.ok:
        return None
    request.session.pop(SESSION_KEY, None)
    return confirmed


def enrolment_context(device: TOTPDevice | None) -> dict:
    """What the enrolment templates show: the QR code and key once started."""
    if device is None:
        return {"started": False}
    return {
        "started": True,
        "qr_svg": totp_qr_svg(device.config_url),
        "secret": totp_secret(device),
    }


def enrolment_view(
    request,
    *,
    user,
    enrol_url: str,
    template: str,
    finish: Callable[[TOTPDevice], HttpResponse],
    context: dict | None = None,
) -> HttpResponse:
    """The enrolment page for ``user`` once the caller has decided who may enrol: *Mulai*
    (a POST) starts a key and returns to ``enrol_url``; a code confirms this session's key
    and hands the confirmed device to ``finish`` (each caller's login or redirect); a GET
    renders ``template`` with the form, the key once started and ``context``."""
    if request.method == "POST" and START_FIELD in request.POST:
        enrolment_start(request, user=user)
        return redirect(enrol_url)
    device = enrolment_device(request, user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if device is None:
            messages.error(request, not_started_message())
            return redirect(enrol_url)
        if form.is_valid():
            confirmed = enrolment_confirm(request, user=user, device=device, form=form)
            if confirmed is not None:
                messages.success(request, _("Verifikasi dua langkah aktif."))
                return finish(confirmed)
    return render(request, template, {**(context or {}), "form": form, **enrolment_context(device)})
