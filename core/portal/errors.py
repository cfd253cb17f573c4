from enum import StrEnum


class PortalErrors(StrEnum):
    ACTIVATION_INVALID = "activation_invalid"
    WEAK_PASSWORD = "weak_password"
