"""HTML screens of core.loans (namespace "loans")."""

app_name = "loans"
urlpatterns: list = []
