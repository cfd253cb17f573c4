"""HTML screens of core.deductions (namespace "deductions")."""

app_name = "deductions"
urlpatterns: list = []
