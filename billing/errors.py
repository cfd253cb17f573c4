from enum import StrEnum


class BillingErrors(StrEnum):
    PLAN_BELOW_MEMBERS = "plan_below_member_count"
    PLAN_UNAVAILABLE = "plan_unavailable"
    PLAN_STAFF_LIMIT = "plan_staff_limit"
    PLAN_NOT_ON_CARD = "plan_not_on_card"
    NOT_OPERATOR = "not_billing_operator"
    INVOICE_NOT_PAYABLE = "invoice_not_payable"
    PROOF_INVALID = "proof_invalid"
    ARCHIVED = "subscription_archived"
    PROVIDER_UNKNOWN = "provider_unknown"
    PROVIDER_ERROR = "payment_provider_error"
    PROVIDER_REFUSED = "payment_provider_refused"
    STATUS_INVALID = "status_invalid"
    ALREADY_SUBSCRIBED = "already_subscribed"
    CARD_ACTIVE = "card_subscription_active"
    TRANSFER_AWAITING = "transfer_awaiting_confirmation"
    CREDIT_INVALID = "credit_invalid"
    AMOUNT_INVALID = "amount_received_invalid"
    NPWP_INVALID = "npwp_invalid"
