"""REST API of core.loans, mounted under /api/v1/."""

urlpatterns: list = []
