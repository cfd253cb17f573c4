"""HTML screens of core.members (namespace "members")."""

app_name = "members"
urlpatterns: list = []
