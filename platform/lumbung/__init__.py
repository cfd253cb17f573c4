"""Lumbung platform project package (settings, URLconfs, ASGI/WSGI, Celery app).

Importable as ``lumbung`` (see pyproject.toml for why it is not ``platform``).
"""

from .celery import app as celery_app

__all__ = ["celery_app"]
