"""Audit action names written by this app (the values are stored in AuditEvent.action;
never change one)."""

from enum import StrEnum


class BillingAudit(StrEnum):
    ARCHIVE_AFTER_SET = "billing.archive_after_set"
    BANK_INVOICE_ISSUED = "billing.bank_invoice_issued"
    BANK_INVOICE_VOIDED = "billing.bank_invoice_voided"
    BANK_TRANSFER_CONFIRMED = "billing.bank_transfer_confirmed"
    BANK_TRANSFER_REJECTED = "billing.bank_transfer_rejected"
    CARD_ENDED_PAYMENT_UNRECORDED = "billing.card_ended_payment_unrecorded"
    CARD_SUBSCRIPTION_ENDED = "billing.card_subscription_ended"
    GRACE_GRANTED = "billing.grace_granted"
    OVER_LIMIT = "billing.over_limit"
    PAYMENT_STARTED = "billing.payment_started"
    PLAN_CHANGE_SCHEDULED = "billing.plan_change_scheduled"
    PLAN_CHANGED = "billing.plan_changed"
    PLAN_SAVED = "billing.plan_saved"
    PLAN_UPGRADE_INVOICED = "billing.plan_upgrade_invoiced"
    PROOF_UPLOADED = "billing.proof_uploaded"
    STATUS_CHANGED = "billing.status_changed"
    TAX_DETAILS_SET = "billing.tax_details_set"
    TRIAL_EXTENDED = "billing.trial_extended"
    TRIAL_STARTED = "billing.trial_started"
    WEBHOOK_FLAGGED = "billing.webhook_flagged"
    WITHIN_LIMIT = "billing.within_limit"
    CREDIT_ADDED = "billing.credit_added"
    CREDIT_APPLIED = "billing.credit_applied"
    CREDIT_REFUNDED = "billing.credit_refunded"
    INVOICE_PAID_BY_CREDIT = "billing.invoice_paid_by_credit"
    CREDIT_NOTE_ISSUED = "billing.credit_note_issued"
    INVOICE_PERIOD_MOVED = "billing.invoice_period_moved"
