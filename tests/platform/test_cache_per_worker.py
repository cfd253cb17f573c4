"""Each pytest-xdist worker has its own test database, so ids repeat across workers (the
first subscription is 1 in both): keys built from ids (a subscription's card preview,
``billing.card_preview``) would be one key in the shared Redis, and one worker's delete
would forget the other's entry (the card-preview test asked Stripe twice in a full run).
The test settings give each worker its own cache key prefix."""

import os

from django.conf import settings
from django.core.cache import cache


def test_each_xdist_worker_has_its_own_cache_prefix():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    assert prefix.endswith(f"-{worker or 'main'}"), prefix
    assert cache.make_key("billing:card-preview:1").startswith(prefix + ":")
