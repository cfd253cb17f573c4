"""Billing writes: trials, subscription state (and the cooperative's status that follows
it), plan changes, payments (Stripe and bank transfer), the daily sweeps. One module per
section; the public names are re-exported here (``billing.services.<name>``)."""

from .bank import (
    bank_invoice_issue,
    bank_proof_upload,
    bank_transfer_confirm,
    bank_transfer_receive,
    bank_transfer_reject,
    credit_apply_to_open,
    invoice_buyer_fields,
    invoice_number_next,
    invoice_tax_fields,
    subscription_tax_details_set,
)
from .common import (
    ARREARS_STRIPE_STATUSES,
    LIVE_STRIPE_STATUSES,
    BillingErrors,
    add_months,
    default_plan,
    operator_held,
    operator_hold,
    operator_hold_message,
    period_end_for,
    plan_fits_check,
)
from .credit import credit_balance, credit_refund_record
from .daily import (
    bank_reminders_send,
    billing_sweep,
    usage_record,
)
from .demo import demo_subscription_seed
from .operator import billing_records_purge, subscription_status_override, trial_extend
from .plans import (
    PLAN_FIELDS,
    card_billing_start,
    card_end_unrecorded_flag,
    card_start_blocked,
    card_subscription_end,
    card_subscription_end_last,
    card_subscription_ending,
    next_invoice_figures,
    payment_start,
    plan_change,
    plan_save,
    proration_amount,
    renewal_figures,
    renewal_plan,
)
from .reissue import invoice_reissue_paid
from .state import STRIPE_STATUS_MAP, subscription_sync_stripe, trial_start

__all__ = [
    "ARREARS_STRIPE_STATUSES",
    "LIVE_STRIPE_STATUSES",
    "PLAN_FIELDS",
    "STRIPE_STATUS_MAP",
    "BillingErrors",
    "add_months",
    "bank_invoice_issue",
    "credit_apply_to_open",
    "bank_proof_upload",
    "bank_reminders_send",
    "bank_transfer_confirm",
    "bank_transfer_receive",
    "bank_transfer_reject",
    "billing_records_purge",
    "billing_sweep",
    "card_billing_start",
    "card_end_unrecorded_flag",
    "card_start_blocked",
    "card_subscription_end",
    "card_subscription_end_last",
    "card_subscription_ending",
    "credit_balance",
    "credit_refund_record",
    "default_plan",
    "demo_subscription_seed",
    "invoice_buyer_fields",
    "invoice_number_next",
    "invoice_reissue_paid",
    "invoice_tax_fields",
    "operator_held",
    "operator_hold",
    "operator_hold_message",
    "payment_start",
    "period_end_for",
    "plan_change",
    "plan_fits_check",
    "plan_save",
    "proration_amount",
    "next_invoice_figures",
    "renewal_figures",
    "renewal_plan",
    "subscription_status_override",
    "subscription_sync_stripe",
    "subscription_tax_details_set",
    "trial_extend",
    "trial_start",
    "usage_record",
]
