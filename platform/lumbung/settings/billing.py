from decimal import Decimal

from .env import env, require

STRIPE_SECRET_KEY = require("STRIPE_SECRET_KEY", "sk_test_dev")
STRIPE_WEBHOOK_SECRET = require("STRIPE_WEBHOOK_SECRET", "whsec_dev")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # a local Stripe-speaking server in tests
BILLING_WEBHOOK_PATH_TOKEN = require("BILLING_WEBHOOK_PATH_TOKEN", "dev-webhook-token")
TRIAL_DAYS = env.int("TRIAL_DAYS", default=30)
STRIPE_CURRENCY = env.str("STRIPE_CURRENCY", default="idr")

# Payment providers behind one interface (billing.providers.base.PaymentProvider).
BILLING_PROVIDERS = {
    "stripe": "billing.providers.stripe_provider.StripeProvider",
    "bank_transfer": "billing.providers.bank_transfer.BankTransferProvider",
}
# The platform's own bank account, printed on bank-transfer invoices.
BILLING_BANK_NAME = env.str("BILLING_BANK_NAME", default="Bank Rakyat Indonesia (BRI)")
BILLING_BANK_ACCOUNT_NUMBER = env.str("BILLING_BANK_ACCOUNT_NUMBER", default="0123-01-000123-30-1")
BILLING_BANK_ACCOUNT_HOLDER = env.str(
    "BILLING_BANK_ACCOUNT_HOLDER", default="PT Lumbung Digital Nusantara"
)
BILLING_INVOICE_DUE_DAYS = env.int("BILLING_INVOICE_DUE_DAYS", default=14)
# Reminders for open bank-transfer invoices, this many days before the due date.
BILLING_REMINDER_DAYS = env.list("BILLING_REMINDER_DAYS", cast=int, default=[7, 3, 1])
# A bank-transfer subscription's next invoice is issued this many days before renewal.
BILLING_RENEWAL_NOTICE_DAYS = env.int("BILLING_RENEWAL_NOTICE_DAYS", default=14)
# past_due for this long -> suspended (read-only).
BILLING_PAST_DUE_GRACE_DAYS = env.int("BILLING_PAST_DUE_GRACE_DAYS", default=14)
# suspended for this long -> archived (login blocked, data kept); per cooperative
# operators may set Subscription.archive_after_days.
BILLING_ARCHIVE_AFTER_DAYS = env.int("BILLING_ARCHIVE_AFTER_DAYS", default=180)
# Largest webhook body stored (bytes); larger requests are refused with 413.
BILLING_WEBHOOK_MAX_BYTES = env.int("BILLING_WEBHOOK_MAX_BYTES", default=256 * 1024)
# Proofs of transfer: allowed types and size.
BILLING_PROOF_MAX_BYTES = env.int("BILLING_PROOF_MAX_BYTES", default=5 * 1024 * 1024)
# The "trial ending" e-mail goes out this many days before a trial ends.
BILLING_TRIAL_NOTICE_DAYS = env.int("BILLING_TRIAL_NOTICE_DAYS", default=3)
# An operator reactivating a cooperative with no paid period ahead grants this many
# days by default (the console asks); then the normal sweep and grace apply.
BILLING_REACTIVATION_GRACE_DAYS = env.int("BILLING_REACTIVATION_GRACE_DAYS", default=14)
# Operators are alerted when a proof of transfer waits longer than this.
BILLING_PROOF_ALERT_HOURS = env.int("BILLING_PROOF_ALERT_HOURS", default=24)
# A card subscription's invoice preview that Stripe failed to give (down, slow, no figure)
# is not asked again for this many seconds: while Stripe is down the billing page does not
# wait up to billing.providers.stripe_provider.PREVIEW_TIMEOUT_S on every view.
BILLING_CARD_PREVIEW_FAILURE_SECONDS = env.int("BILLING_CARD_PREVIEW_FAILURE_SECONDS", default=60)
# Checks core.users runs before creating a login (the plan's staff-user limit).
USER_CREATE_CHECKS = ["billing.limits.staff_user_limit_check"]
# Tax on the platform's invoices: the PPN rate (a fraction) and the seller's identity.
# Plans say whether their prices include PPN (Plan.prices_include_ppn).
BILLING_PPN_RATE = Decimal(env.str("BILLING_PPN_RATE", default="0.11"))
BILLING_SELLER_NAME = env.str("BILLING_SELLER_NAME", default="PT Lumbung Digital Nusantara")
BILLING_SELLER_NPWP = env.str("BILLING_SELLER_NPWP", default="")
BILLING_SELLER_ADDRESS = env.str("BILLING_SELLER_ADDRESS", default="")
