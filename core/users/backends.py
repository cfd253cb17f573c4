from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_lockout_message

from .throttle import login_throttled


class TenantAxesBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login made through an HTTP request, plus the
    wider per-address and per-username caps of ``core.users.throttle``.

    ``authenticate()`` without a request (Django's test ``Client.login``, management
    commands) has nobody to lock out: it is passed on to the next backend instead of
    raising ``AxesBackendRequestParameterRequired``. Every web login (LoginView) passes
    its request and is counted. (The API takes no passwords: sessions or API keys.)"""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        if login_throttled(request=request, username=username or ""):
            response_context = kwargs.get("response_context", {})
            response_context["error"] = get_lockout_message()
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("Too many failed logins from this address or user")
        return super().authenticate(request, username=username, password=password, **kwargs)
