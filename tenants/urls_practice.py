from django.urls import path

from . import views_practice

app_name = "practice"
urlpatterns = [path("", views_practice.practice_settings, name="settings")]
