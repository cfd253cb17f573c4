"""Settings of the test suite (pytest's ``DJANGO_SETTINGS_MODULE``): the project's own,
with a fast password hasher (the production one costs about a second per user made
here); its hashes are PBKDF2 ones that production settings verify too.
Tests about the production hasher set ``PASSWORD_HASHERS`` back themselves."""

from lumbung.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "tests.hashers.FastPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Each pytest-xdist worker has its own test database, so ids repeat across workers: keys
# built from ids (a subscription's card preview) must not meet in the shared Redis, where
# one worker's delete would forget the other's entry. A prefix per worker.
import os  # noqa: E402

CACHES = {
    **CACHES,  # noqa: F405
    "default": {
        **CACHES["default"],  # noqa: F405
        "KEY_PREFIX": f"lumbung-test-{os.environ.get('PYTEST_XDIST_WORKER') or 'main'}",
    },
}
