from django.db import connection


def totp_issuer(device) -> str:
    """The name shown in the authenticator app: "Lumbung · <cooperative>", so a person
    who works for two cooperatives can tell the codes apart."""
    tenant = getattr(connection, "tenant", None)
    name = (
        getattr(tenant, "name", "") if getattr(tenant, "schema_name", "public") != "public" else ""
    )
    return f"Lumbung · {name}" if name else "Lumbung"
