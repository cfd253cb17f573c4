"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class TenantAudit(StrEnum):
    BACKUPS_REMOVED = "cooperative.backups_removed"
    BACKUPS_SET_ASIDE = "cooperative.backups_set_aside"
    COOPERATIVE_CREATED = "cooperative.created"
    COOPERATIVE_RESTORED = "cooperative.restored"
    PRACTICE_USER_SYNCED = "practice.user_synced"
    SIGNUP_PROVISIONED = "signup.provisioned"
    SIGNUP_RETRIED = "signup.retried"
    SIGNUP_SUBMITTED = "signup.submitted"
    SIGNUP_VERIFIED = "signup.verified"
    SIGNUP_VERIFICATION_RESENT = "signup.verification_resent"
