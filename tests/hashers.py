"""A PBKDF2 hasher with one iteration for the test suite. Its hashes carry their own
iteration count (``pbkdf2_sha256$1$…``), so servers started by tests with the production
settings (gunicorn, the browser tests' live server) verify them with Django's own
PBKDF2 hasher."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1
