"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class ConsoleAudit(StrEnum):
    CONSOLE_DOMAIN_ADDED = "console.domain_added"
    CONSOLE_LOGIN = "console.login"
    CONSOLE_MIGRATION_STARTED = "console.migration_started"
    CONSOLE_OPERATOR_SET = "console.operator_set"
    CONSOLE_PAYMENT_RECORDED = "console.payment_recorded"
    CONSOLE_PLAN_CHANGED = "console.plan_changed"
    CONSOLE_PROVISIONING_RETRIED = "console.provisioning_retried"
    CONSOLE_STATS_REFRESH_REQUESTED = "console.stats_refresh_requested"
    CONSOLE_SUPPORT_SESSION_STARTED = "console.support_session_started"
    CONSOLE_TENANT_ARCHIVED = "console.tenant_archived"
    CONSOLE_TENANT_DELETED = "console.tenant_deleted"
    CONSOLE_TENANT_EXPORTED = "console.tenant_exported"
    CONSOLE_TENANT_REACTIVATED = "console.tenant_reactivated"
    CONSOLE_TENANT_SUSPENDED = "console.tenant_suspended"
    CONSOLE_TERMS_ANNOUNCED = "console.terms_announced"
    CONSOLE_TERMS_RESENT = "console.terms_resent"
    CONSOLE_TRIAL_EXTENDED = "console.trial_extended"
    SUPPORT_SESSION_ENDED = "support.session_ended"
    SUPPORT_SESSION_OPENED = "support.session_opened"
    SUPPORT_SESSION_STARTED = "support.session_started"
