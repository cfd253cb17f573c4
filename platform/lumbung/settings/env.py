"""Environment access shared by the settings modules."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# Repository root: platform/lumbung/settings/env.py -> parents[3]
ROOT_DIR = Path(__file__).resolve().parents[3]

env = environ.Env()
_env_file = ROOT_DIR / ".env"
if _env_file.exists():  # a developer's local overrides; never required
    env.read_env(str(_env_file))

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"


def require(name: str, dev_default: str, *, cast=str):
    """A setting that must be given in production but has a default in development."""
    if IS_PRODUCTION:
        if name not in env.ENVIRON or env.str(name) == "":
            raise ImproperlyConfigured(
                f"Missing required setting {name} (DJANGO_ENV=production has no default)."
            )
        return cast(env.str(name))
    return cast(env.str(name, default=dev_default))
