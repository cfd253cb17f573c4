"""HTML screens of core.savings (namespace "savings")."""

app_name = "savings"
urlpatterns: list = []
