"""REST API of core.members, mounted under /api/v1/."""

urlpatterns: list = []
