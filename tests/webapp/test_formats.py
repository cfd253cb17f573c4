"""Indonesian formats everywhere: `29 Nov 2026`, `Rp 1.234.567`; English keeps them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import formats, translation


@pytest.mark.parametrize("lang", ["id", "en"])
def test_dates_render_as_day_month_year(lang):
    with translation.override(lang):
        assert formats.date_format(dt.date(2026, 11, 29)) == "29 Nov 2026"
        out = Template("{{ d|date }}").render(Context({"d": dt.date(2026, 11, 29)}))
        assert out == "29 Nov 2026"


def test_indonesian_month_abbreviations():
    with translation.override("id"):
        assert formats.date_format(dt.date(2026, 8, 17)) == "17 Agu 2026"
        assert formats.date_format(dt.date(2026, 12, 1)) == "1 Des 2026"


def test_numbers_use_dot_thousands():
    with translation.override("id"):
        assert formats.number_format(Decimal("1234567.5"), 2, force_grouping=True) == "1.234.567,50"


def test_rupiah_filter():
    out = Template("{% load lumbung %}{{ x|rupiah }}").render(Context({"x": Decimal("1234567")}))
    assert out == "Rp 1.234.567"


def test_english_translation_switches_the_ui(client_a, in_tenant_a):
    from tests.webapp.conftest import make_user

    client_a.force_login(make_user("pengawas"))
    client_a.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client_a.get("/").content.decode()
    assert "Dashboard" in body and "Beranda" not in body
    client_a.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert "Beranda" in client_a.get("/").content.decode()


def test_browser_language_is_not_guessed(client_a, in_tenant_a):
    """Bahasa Indonesia first: an English browser still gets Indonesian until the person
    switches with the language selector."""
    from tests.webapp.conftest import make_user

    client_a.force_login(make_user("pengawas"))
    body = client_a.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Beranda" in body
