"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class UserAudit(StrEnum):
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    TWO_FACTOR_DISABLED = "user.2fa_disabled"
    TWO_FACTOR_ENABLED = "user.2fa_enabled"
    ACTIVATED = "user.activated"
    CREATED = "user.created"
    DEACTIVATED = "user.deactivated"
    MEMBER_LINKED = "user.member_linked"
    PASSWORD_CHANGED = "user.password_changed"
    PASSWORD_RESET = "user.password_reset"
    PROFILE_UPDATED = "user.profile_updated"
    REAUTH_FAILED = "user.reauth_failed"
