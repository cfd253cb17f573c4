"""REST API of core.ledger, mounted under /api/v1/."""

urlpatterns: list = []
