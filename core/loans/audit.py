"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class LoanAudit(StrEnum):
    APPLY = "loan.apply"
    APPROVE = "loan.approve"
    ARREARS_RUN = "loan.arrears.run"
    CLOSE_TOPUP = "loan.close.topup"
    DISBURSE = "loan.disburse"
    DISBURSEMENT_REVERSE = "loan.disbursement_reverse"
    DOCUMENT_ADD = "loan.document.add"
    PAYOFF = "loan.payoff"
    PRODUCT_CREATE = "loan.product.create"
    PRODUCT_UPDATE = "loan.product.update"
    REJECT = "loan.reject"
    REPAY = "loan.repay"
    REPAY_BATCH = "loan.repay_batch"
    REPAYMENT_REVERSE = "loan.repayment_reverse"
    RESCHEDULE = "loan.reschedule"
    SETTINGS_UPDATE = "loan.settings.update"
    SETTLE_EXIT = "loan.settle.exit"
    VERIFY = "loan.verify"
    WRITEOFF = "loan.writeoff"
    WRITEOFF_RECOVERY = "loan.writeoff.recovery"
    WRITEOFF_RECOVERY_REVERSE = "loan.writeoff.recovery_reverse"
    WRITEOFF_REVERSE = "loan.writeoff.reverse"
