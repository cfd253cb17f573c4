"""The tenant web app: login hardening (django-axes lockout, django-otp TOTP), idle
session timeout, password reset, Indonesian formats."""

from datetime import timedelta

from .env import env

# django-axes checks every login attempt first; a request-less authenticate() (test
# clients, management code) is passed through (see core.users.backends).
AUTHENTICATION_BACKENDS = [
    "core.users.backends.TenantAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout: django-axes' tables are in SHARED_APPS *and* TENANT_APPS, so each cooperative
# (and the operator console) counts failures in its own schema: a username locked out in
# one cooperative says nothing about another. A practice copy counts in its cooperative's
# (same logins, same password: core.users.lockout, settings.tenancy LOGIN_SCHEMAS).
AXES_HANDLER = "core.users.lockout.CooperativeAxesHandler"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Locked per (username, client address): a stranger guessing a victim's password locks
# only their own address out, not the victim. Two wider caps (core.users.throttle) catch
# what that misses: LOGIN_IP_FAILURE_LIMIT failures from one address over any usernames
# (one password sprayed over many users), and LOGIN_USER_FAILURE_LIMIT failures for one
# username from any addresses (a distributed guess), both per cool-off window.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=30)
LOGIN_USER_FAILURE_LIMIT = env.int("LOGIN_USER_FAILURE_LIMIT", default=20)
# Neither cap applies, for a person's own login, in a browser where they completed a
# login or set a new password by a reset link (core.users.devices): a stranger failing
# from anywhere, or from the office's shared address, cannot keep them out. The mark
# lasts this long from the last login in that browser and ends when the password changes.
LOGIN_DEVICE_DAYS = env.int("LOGIN_DEVICE_DAYS", default=90)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# one failure count per login name however it is written (trimmed, lower case)
AXES_USERNAME_CALLABLE = "core.users.forms.axes_username"
AXES_VERBOSE = False
# The client address behind our reverse proxies (TRUSTED_PROXY_COUNT, settings.security).
AXES_CLIENT_IP_CALLABLE = "core.common.http.client_address"


# Two-factor (TOTP) for staff who enrol; the issuer shown in authenticator apps is
# "Lumbung · <cooperative name>".
def OTP_TOTP_ISSUER(device):
    # in here: the settings load before the apps, and core.users.otp imports models
    from core.users.otp import totp_issuer

    return totp_issuer(device)


# Sessions end after SESSION_COOKIE_AGE in any case, and after this many seconds without
# a request (core.users.middleware.IdleTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)

PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24 * 3)
# Reset e-mails: at most this many per address and per client address an hour.
PASSWORD_RESET_EMAIL_LIMIT = env.int("PASSWORD_RESET_EMAIL_LIMIT", default=3)
PASSWORD_RESET_IP_LIMIT = env.int("PASSWORD_RESET_IP_LIMIT", default=10)

# Dates as `29 Nov 2026`, numbers with dot thousands (lumbung.formats.<lang>).
FORMAT_MODULE_PATH = ["lumbung.formats"]
UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # documents people upload (core.common.uploads)
