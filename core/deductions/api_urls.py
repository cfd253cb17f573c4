"""REST API of core.deductions, mounted under /api/v1/."""

urlpatterns: list = []
