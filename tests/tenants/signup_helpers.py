"""What the sign-up tests share: a browser on the apex host from an address of its own
(the sign-up is rate-limited per address), the sign-up form filled in, and Celery tasks
run at once in a block (the e-mails are tasks queued on commit)."""

import uuid
from contextlib import contextmanager

from django.conf import settings as django_settings
from django.test import Client

PASSWORD = "Koperasi-Maju-2026"


def signup_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def signup_client() -> Client:
    return Client(HTTP_HOST=django_settings.BASE_DOMAIN, REMOTE_ADDR=signup_ip())


def signup_form(**over) -> dict:
    data = {
        "name": "KPRI Harapan Bersama",
        "slug": "harapan",
        "kind": "kpri",
        "legal_number": "123/BH/XVIII.4/2020",
        "legal_date": "2020-03-17",
        "nik_koperasi": "6271010020002",
        "province": "Kalimantan Tengah",
        "regency": "Kota Palangka Raya",
        "member_count": "350",
        "contact_name": "Dewi Lestari",
        "email": "dewi@harapan.test",
        "phone": "0812-3456-7890",
        "password": PASSWORD,
        "password2": PASSWORD,
        "terms": "on",
        "website": "",
    }
    data.update(over)
    return data


@contextmanager
def tasks_eager():
    """Celery tasks queued in the block run at once (for the commit callbacks the block
    runs)."""
    from lumbung.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = old
