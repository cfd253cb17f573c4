"""The login page read in English says "Log in" (its title, heading and button), not
"In" — the statement column's word for money in."""

import re

from django.conf import settings


def _page(client, lang) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get("/masuk/").content.decode()


def test_the_login_page_says_log_in_in_english(client_a):
    page = _page(client_a, "en")
    assert re.search(r"<h1>\s*Log in\s*</h1>", page), page[:800]
    assert re.search(r'<button class="primary">\s*Log in\s*</button>', page)
    assert not re.search(r"<h1>\s*In\s*</h1>", page)


def test_the_login_page_says_masuk_in_indonesian(client_a):
    page = _page(client_a, "id")
    assert re.search(r"<h1>\s*Masuk\s*</h1>", page)


def test_every_log_in_button_is_the_log_in_word():
    """Each page whose button logs in says it with the "log in" word (English "Log in"),
    never the bare "Masuk" (English "In", money in)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "platform" / "lumbung"
    pages = [
        root / "templates/registration/login.html",
        root / "templates/registration/password_reset_complete.html",
        root / "console/templates/console/login_verify.html",
    ]
    for page in pages:
        assert '{% translate "Masuk" %}' not in page.read_text(), page
