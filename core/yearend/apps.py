from django.apps import AppConfig


class YearendConfig(AppConfig):
    name = "core.yearend"
    label = "yearend"
    verbose_name = "Tutup buku & SHU"
