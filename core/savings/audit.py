"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class SavingsAudit(StrEnum):
    MEMBER_IMPORT = "member.import"
    ACCOUNT_FREEZE = "savings.account_freeze"
    ACCOUNT_OPEN = "savings.account_open"
    ACCOUNT_UNFREEZE = "savings.account_unfreeze"
    BERJANGKA_NEXT_CYCLE = "savings.berjangka_next_cycle"
    BERJANGKA_CYCLE_RESTORE = "savings.berjangka_cycle_restore"
    DEPOSIT = "savings.deposit"
    EARLY_WITHDRAW = "savings.early_withdraw"
    INTEREST_ACCRUE = "savings.interest_accrue"
    INTEREST_AUTO_FAILED = "savings.interest_auto_failed"
    INTEREST_REVERSE = "savings.interest_reverse"
    PRODUCT_CREATE = "savings.product_create"
    PRODUCT_UPDATE = "savings.product_update"
    REVERSE = "savings.reverse"
    WAJIB_RATE_SET = "savings.wajib_rate_set"
    WITHDRAW = "savings.withdraw"
