"""Login caps wider than django-axes' per (username, client address) lockout.

Read from axes' own failure records (``AccessAttempt``, in the cooperative's schema —
a practice copy's are its cooperative's: ``core.users.linked``), over its cool-off window:
- ``LOGIN_IP_FAILURE_LIMIT`` failures from one client address, whatever the usernames:
  one password sprayed over many users;
- ``LOGIN_USER_FAILURE_LIMIT`` failures for one username, whatever the addresses: a
  guess spread over many addresses.
Neither applies in a browser the person signed in on (or set a new password in by a
reset link), for that person's login: ``core.users.devices``, so a stranger cannot keep
them out by failing on purpose."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from core.common.http import client_address

from .devices import device_known
from .forms import login_name
from .linked import in_login_counter_schema


def _failures(**match) -> int:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    with in_login_counter_schema():
        recent = AccessAttempt.objects.filter(attempt_time__gte=since, **match)
        return recent.aggregate(n=Sum("failures_since_start"))["n"] or 0


def login_throttled(*, request, username: str) -> bool:
    """True when this client address, or this username, has used up its failures —
    unless this browser is one the person signed in on (``core.users.devices``): a
    stranger's failures, from elsewhere or from a shared address (an office, a mobile
    carrier), do not keep them out. django-axes' own lockout of this username at this
    address still applies there."""
    username = login_name(username)  # as django-axes records it (forms.axes_username)
    ip_limit = settings.LOGIN_IP_FAILURE_LIMIT
    ip = client_address(request)
    user_limit = settings.LOGIN_USER_FAILURE_LIMIT
    over = bool(ip and ip_limit and _failures(ip_address=ip) >= ip_limit) or bool(
        username and user_limit and _failures(username=username) >= user_limit
    )
    return over and not device_known(request=request, username=username)
