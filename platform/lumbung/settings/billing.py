from .env import env, require

STRIPE_SECRET_KEY = require("STRIPE_SECRET_KEY", "sk_test_dev")
STRIPE_WEBHOOK_SECRET = require("STRIPE_WEBHOOK_SECRET", "whsec_dev")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # a local Stripe-speaking server in tests
BILLING_WEBHOOK_PATH_TOKEN = require("BILLING_WEBHOOK_PATH_TOKEN", "dev-webhook-token")
TRIAL_DAYS = env.int("TRIAL_DAYS", default=30)
