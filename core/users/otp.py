from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device


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
