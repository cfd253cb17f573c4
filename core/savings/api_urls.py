"""REST API of core.savings, mounted under /api/v1/."""

urlpatterns: list = []
