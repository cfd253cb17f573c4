"""Following a single-use link the way a person does: open it (GET: a page with one
button), then press the button (POST with the page's CSRF token, checked)."""

import re

FORM = re.compile(r'<form method="post"(?: action="([^"]*)")?[^>]*data-link-button', re.S)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def link_form(page: str) -> tuple[str | None, str]:
    """The button's form on a link page: (action or None for the page itself, token)."""
    form = FORM.search(page)
    assert form, "no button on the link page"
    token = CSRF.search(page, form.start())
    assert token, "the button's form has no CSRF token"
    return form.group(1), token.group(1)


def press(client, path: str, **extra):
    """GET ``path`` (must be the page with the button, 200), then POST its form with the
    CSRF check on. Returns the POST's response."""
    page = client.get(path, **extra)
    assert page.status_code == 200, (page.status_code, page.get("Location"))
    action, token = link_form(page.content.decode())
    enforced = client.handler.enforce_csrf_checks
    client.handler.enforce_csrf_checks = True
    try:
        return client.post(action or path, {"csrfmiddlewaretoken": token}, **extra)
    finally:
        client.handler.enforce_csrf_checks = enforced
