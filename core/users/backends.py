from axes.backends import AxesStandaloneBackend


class TenantAxesBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login made through an HTTP request.

    ``authenticate()`` without a request (Django's test ``Client.login``, management
    commands) has nobody to lock out: it is passed on to the next backend instead of
    raising ``AxesBackendRequestParameterRequired``. Every web and API login (LoginView,
    DRF BasicAuthentication) passes its request and is counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
