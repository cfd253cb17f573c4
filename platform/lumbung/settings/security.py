from .base import DEBUG
from .env import IS_PRODUCTION, env
from .tenancy import BASE_DOMAIN

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "testserver", "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[f"http://*.{BASE_DOMAIN}:8000", f"http://{BASE_DOMAIN}:8000"] if DEBUG else [],
)
# How many reverse proxies of our own stand in front of the app (ingress, load balancer,
# nginx): the client address is then the N-th entry from the right of X-Forwarded-For
# (lumbung.middleware.client_ip). 0 (development, or a server reached directly) uses
# REMOTE_ADDR. Too high lets a client choose its address; too low makes every client
# look like the proxy (one lockout and one rate limit for everybody).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)

# Self-service sign-up: seconds a verification link lives, which is also how long an
# unverified sign-up holds its address against others (tenants.signup).
SIGNUP_VERIFY_MAX_AGE = env.int("SIGNUP_VERIFY_MAX_AGE", default=3 * 60 * 60)
