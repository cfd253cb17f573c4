import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, device_classes

from core.common.queries import exists_each

from .otp import otp_verified

LAST_SEEN_KEY = "lumbung_last_seen"
# Don't rewrite the session row on every request: only when the mark is this stale.
_TOUCH_EVERY = 60


def _has_confirmed_device(user) -> bool:
    """``django_otp.user_has_device(user, confirmed=True)`` as one query of EXISTS, one per
    device kind: the library loads every column of the user's confirmed devices to answer
    yes or no, and this runs on every request of a signed-in user."""
    return any(
        exists_each(
            *(model.objects.filter(user_id=user.pk, confirmed=True) for model in device_classes())
        )
    )


def _second_factor_missing(request, user) -> bool:
    """A session marked with a device counts only while that device is still one of
    this user's confirmed devices (an authenticator turned off after a lost phone, or
    replaced, proves nothing any more); an unmarked session only for a user with none."""
    if request.session.get(DEVICE_ID_SESSION_KEY):
        return not otp_verified(request)
    return _has_confirmed_device(user)


class TwoFactorSessionMiddleware:
    """On a cooperative's host, a session of a user who enrolled a TOTP device counts
    only once the code step was passed in it (``django_otp.login`` marks the session),
    and only while the device it was passed with stays enrolled: a session made any
    other way (an old session from before enrolment, a one-time link), or verified
    with a device since removed, is logged out. Covers the HTML pages and the API's
    session authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            getattr(connection, "schema_name", "public") != "public"
            and user is not None
            and user.is_authenticated
            and _second_factor_missing(request, user)
        ):
            logout(request)
            if not request.path.startswith("/api/"):
                messages.info(request, _("Silakan masuk lagi dengan kode dua langkah."))
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Log out a session that made no request for ``SESSION_IDLE_TIMEOUT`` seconds
    (a shared office computer left open). ``SESSION_COOKIE_AGE`` still caps the total.
    A page is sent to the login page with a message; an ``/api/`` request goes on
    anonymous, so the API refuses it with its JSON error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        timeout = getattr(settings, "SESSION_IDLE_TIMEOUT", 0)
        if timeout and user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN_KEY)
            if last is not None and now - int(last) > timeout:
                logout(request)
                if request.path.startswith("/api/"):
                    # as the two-step check: the API view answers the anonymous request
                    # with its JSON refusal (not_authenticated), not a login page
                    return self.get_response(request)
                messages.info(
                    request, _("Sesi Anda berakhir karena lama tidak aktif. Silakan masuk lagi.")
                )
                return redirect_to_login(request.get_full_path())
            if last is None or now - int(last) >= _TOUCH_EVERY:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class IndonesianFirstMiddleware:
    """Bahasa Indonesia first: the UI language is the one the person chose (the language
    cookie set by the switcher), else ``LANGUAGE_CODE`` — never guessed from the
    browser's Accept-Language (a member's phone set to English still gets Indonesian
    until they switch). Runs before Django's LocaleMiddleware.

    The API (``/api/``) is the exception: its client is a program, which has no switcher
    and names the language it wants in ``Accept-Language`` on purpose (``en`` answers
    English; the cookie, when sent, still wins)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
