from .base import DEBUG
from .billing import STRIPE_API_BASE
from .env import IS_PRODUCTION, env
from .tenancy import BASE_DOMAIN, SITE_PORT, SITE_SCHEME

# The hosts the deploy answers to (the ALLOWED_HOSTS variable; a leading dot allows all
# subdomains). The test client's "testserver" and the loopback address only outside
# production. Besides these, every custom domain added in the console (the Domain table)
# is served: tenants.middleware.AllowedHostMiddleware checks the Host header against both
# before the tenant lookup and refuses any other (400), so Django's own check is off.
CONFIGURED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[BASE_DOMAIN, f".{BASE_DOMAIN}"]
    + ([] if IS_PRODUCTION else ["testserver", "127.0.0.1"]),
)
ALLOWED_HOSTS = ["*"]  # checked by tenants.middleware.AllowedHostMiddleware
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[f"http://*.{BASE_DOMAIN}:8000", f"http://{BASE_DOMAIN}:8000"] if DEBUG else [],
)
# How many reverse proxies of our own stand in front of the app (ingress, load balancer,
# nginx): the client address is then the N-th entry from the right of X-Forwarded-For
# (core.common.http.client_ip). 0 (development, or a server reached directly) uses
# REMOTE_ADDR. Too high lets a client choose its address; too low makes every client
# look like the proxy (one lockout and one rate limit for everybody).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Django's database sessions, their per-request read written out in SQL (lumbung.sessions).
SESSION_ENGINE = "lumbung.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HSTS: one year, every cooperative's subdomain too (`manage.py check --deploy` clean)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # plain http is redirected (the proxy says https in X-Forwarded-Proto); /healthz,
    # /readyz and /metrics answer before SecurityMiddleware, so probes are unaffected
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)

# Where a form may take the browser (CSP form-action, which browsers also apply to the
# redirect that answers a form): ourselves, the apex and every cooperative's address
# (the public "Masuk" sends staff to <slug>.<domain>/masuk/, the console's support
# access and a practice copy's "Masuk" to another cooperative host), and the payment
# provider's hosted pages ("Bayar dengan kartu" answers with Stripe Checkout, "Kelola
# kartu" with its billing portal; a local Stripe-speaking server in development).
_SITE_PORT = "" if SITE_PORT in ("", "80", "443") else f":{SITE_PORT}"
FORM_ACTION_SOURCES = [
    "'self'",
    f"{SITE_SCHEME}://{BASE_DOMAIN}{_SITE_PORT}",
    f"{SITE_SCHEME}://*.{BASE_DOMAIN}{_SITE_PORT}",
    "https://checkout.stripe.com",
    "https://billing.stripe.com",
] + ([STRIPE_API_BASE.rstrip("/")] if STRIPE_API_BASE else [])

# Content-Security-Policy (lumbung.middleware.ContentSecurityPolicyMiddleware): scripts
# only from our own static files (htmx is vendored; no inline script or handler), no
# framing, forms only to the places above. Styles allow inline `style=` attributes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    f"base-uri 'self'; form-action {' '.join(FORM_ACTION_SOURCES)}; frame-ancestors 'none'"
)

# Self-service sign-up: seconds a verification link lives, which is also how long an
# unverified sign-up holds its address against others (tenants.signup).
SIGNUP_VERIFY_MAX_AGE = env.int("SIGNUP_VERIFY_MAX_AGE", default=3 * 60 * 60)
