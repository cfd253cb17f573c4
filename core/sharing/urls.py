from django.urls import path

from . import views

app_name = "sharing"
urlpatterns = [path("", views.consent, name="consent")]
