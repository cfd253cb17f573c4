"""Settings of the test suite (pytest's ``DJANGO_SETTINGS_MODULE``): the project's own,
with a fast password hasher (the production one costs about a second per user made
here); its hashes are PBKDF2 ones that production settings verify too.
Tests about the production hasher set ``PASSWORD_HASHERS`` back themselves."""

from lumbung.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "tests.hashers.FastPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
