"""Two-factor (TOTP) helpers: the issuer name, whether a session passed the code step,
and the code step's match (``totp_match``), whose guard against a code used twice is
shared with the login's copies in other schemas (``core.users.linked``)."""

from django.db import connection, transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from .linked import login_schemas


def totp_issuer(device) -> str:
    """The name shown in the authenticator app: "Lumbung · <cooperative>", so a person
    who works for two cooperatives can tell the codes apart."""
    tenant = getattr(connection, "tenant", None)
    name = (
        getattr(tenant, "name", "") if getattr(tenant, "schema_name", "public") != "public" else ""
    )
    return f"Lumbung · {name}" if name else "Lumbung"


def otp_verified(request) -> bool:
    """The session passed the TOTP step with one of this user's confirmed devices."""
    persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return bool(
        device is not None
        and device.user_id == request.user.pk
        and getattr(device, "confirmed", False)
    )


# What an authenticator keeps to guard its codes: the time step of the last code taken
# (a code is taken once), the clock drift learnt, and django-otp's delay after wrong codes.
GUARD_FIELDS = (
    "last_t",
    "drift",
    "throttling_failure_count",
    "throttling_failure_timestamp",
    "last_used_at",
)


def _latest_guard(device: TOTPDevice, copies: list[TOTPDevice]) -> None:
    """``device`` takes its copies' guard where theirs is the later: the last code's step
    (and the drift learnt with it), the longer run of wrong codes (and its time)."""
    for copy in copies:
        if copy.last_t > device.last_t:
            device.last_t, device.drift = copy.last_t, copy.drift
            device.last_used_at = copy.last_used_at
        if copy.throttling_failure_count > device.throttling_failure_count:
            device.throttling_failure_count = copy.throttling_failure_count
            device.throttling_failure_timestamp = copy.throttling_failure_timestamp


@transaction.atomic
def totp_match(*, user, token: str) -> TOTPDevice | None:
    """django-otp's ``match_token`` for the code step of a cooperative's login, with the
    authenticator's guard shared by its copies in the other schemas holding this login
    (a practice copy and its cooperative: ``core.users.linked``): a code taken at one is
    refused at the other, and wrong codes there delay the next try here. The rows are
    locked, the real cooperative's first, so two code steps at once (one at each address)
    take a code once. Returns the device that took the code, or None."""
    here = connection.schema_name
    mine = list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))
    keys = [d.key for d in mine]
    copies: dict[str, list[tuple[str, TOTPDevice]]] = {}
    for schema in login_schemas(here):
        if schema == here:
            locked = TOTPDevice.objects.select_for_update().filter(pk__in=[d.pk for d in mine])
            mine = list(locked.order_by("pk"))
            continue
        with schema_context(schema):
            there = TOTPDevice.objects.select_for_update().filter(
                user__username=user.get_username(), confirmed=True, key__in=keys
            )
            for device in there.order_by("pk"):
                copies.setdefault(device.key, []).append((schema, device))
    for device in mine:
        others = copies.get(device.key, [])
        _latest_guard(device, [d for _schema, d in others])
        matched = device.verify_token(token)
        device.save(update_fields=GUARD_FIELDS)  # the guard it took from its copies
        guard = {name: getattr(device, name) for name in GUARD_FIELDS}
        for schema, copy in others:
            with schema_context(schema):
                TOTPDevice.objects.filter(pk=copy.pk).update(**guard)
        if matched:
            return device
    return None
