"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class LedgerAudit(StrEnum):
    ACCOUNT_CREATE = "ledger.account.create"
    ACCOUNT_DELETE = "ledger.account.delete"
    ACCOUNT_UPDATE = "ledger.account.update"
    EXPORT_DOWNLOAD = "ledger.export.download"
    EXPORT_REQUEST = "ledger.export.request"
    MANUAL_APPROVE = "ledger.manual.approve"
    MANUAL_REJECT = "ledger.manual.reject"
    MANUAL_SUBMIT = "ledger.manual.submit"
    PERIOD_CLOSE = "ledger.period.close"
    PERIOD_REOPEN = "ledger.period.reopen"
    RECONCILIATION_MISMATCH = "ledger.reconciliation_mismatch"
    ROLE_SET = "ledger.role.set"
    SETTINGS_UPDATE = "ledger.settings.update"
    YEAR_CLOSE = "ledger.year.close"
    YEAR_REOPEN = "ledger.year.reopen"
