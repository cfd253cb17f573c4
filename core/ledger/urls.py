"""HTML screens of core.ledger (namespace "ledger")."""

app_name = "ledger"
urlpatterns: list = []
