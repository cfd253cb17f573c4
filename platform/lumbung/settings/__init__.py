"""Settings, split by topic. Each module reads its part of the environment.

Production secrets have no default: with DJANGO_ENV=production a missing one fails at
start-up with a message naming it (see ``lumbung.settings.env.require``).
"""

from .base import *  # noqa: F403
from .billing import *  # noqa: F403
from .cache import *  # noqa: F403
from .celery import *  # noqa: F403
from .database import *  # noqa: F403
from .logging import *  # noqa: F403
from .metrics import *  # noqa: F403
from .security import *  # noqa: F403
from .sentry import *  # noqa: F403
from .tenancy import *  # noqa: F403
from .webapp import *  # noqa: F403
