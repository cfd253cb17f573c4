"""A cooperative's admin logs in, sees the dashboard, creates a user; the new user logs
in; a member reaches the portal on a phone-sized screen. Screenshots of each screen."""

import os

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.e2e.conftest import copy_to_docs

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Bendahara-Kuat-2026"


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.primary")


def test_staff_logs_in_sees_dashboard_and_creates_a_user(live_site, browser, shoot):
    base = live_site["url"]
    slug = live_site["tenant"].slug
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="id-ID")
    page = ctx.new_page()

    # Not logged in: the app sends us to the login page of this cooperative.
    page.goto(f"{base}/")
    assert "/masuk/" in page.url
    assert live_site["tenant"].name in page.content()
    shoot(page, "01-login")

    # A wrong password is refused with a message, then the right one gets in.
    _login(page, base, f"admin@{slug}.test", "salah-sandi")
    assert page.locator(".form-errors").is_visible()
    _login(page, base, f"admin@{slug}.test", ADMIN_PASSWORD)
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").first.inner_text() == "Beranda"
    assert page.locator(".sidenav a", has_text="Pengguna").count() == 1
    shoot(page, "02-dashboard")

    # Users and roles: create a bendahara with an initial password.
    page.click(".sidenav a:has-text('Pengguna')")
    page.wait_for_url(f"{base}/pengguna/")
    page.click("text=Tambah pengguna")
    page.fill("input[name=full_name]", "Siti Rahmawati")
    page.fill("input[name=email]", f"siti@{slug}.test")
    page.select_option("select[name=role]", "bendahara")
    page.fill("input[name=password]", NEW_PASSWORD)
    shoot(page, "03-user-create")
    page.click("button.primary")
    page.wait_for_url(f"{base}/pengguna/")
    assert page.locator(".msg.success").is_visible()
    row = page.locator("tr", has_text="Siti Rahmawati")
    assert row.count() == 1 and "Bendahara" in row.inner_text()

    # htmx filter: typing narrows the table without a page reload.
    page.fill("input[name=q]", "siti")
    page.wait_for_function(
        "() => !document.querySelector('#user-table').innerText.includes('admin@')"
    )
    assert page.locator("#user-table tbody tr").count() == 1
    shoot(page, "04-users")

    # The creation is in the audit log.
    page.goto(f"{base}/audit/")
    assert page.locator("td code", has_text="user.created").count() >= 1
    shoot(page, "05-audit")

    # The new user logs in with the password the admin set.
    page.click("button:has-text('Keluar')")
    page.wait_for_url(f"{base}/masuk/")
    _login(page, base, f"siti@{slug}.test", NEW_PASSWORD)
    page.wait_for_url(f"{base}/")
    assert page.locator(".user-menu").inner_text().startswith("Siti Rahmawati")
    # A bendahara does not manage users.
    assert page.locator(".sidenav a", has_text="Pengguna").count() == 0
    page.goto(f"{base}/pengguna/baru/")
    assert (
        "403" in page.title()
        or page.locator("text=Forbidden").count()
        or page.content().count("403")
    )

    # English switch.
    page.goto(f"{base}/")
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state()
    shoot(page, "06-dashboard-en")

    ctx.close()
    copy_to_docs(["01-login", "02-dashboard", "04-users", "05-audit"])
    assert (
        not os.environ.get("E2E_FAIL_SERVER_ERRORS")
        or "Traceback" not in live_site["log"].read_text()
    )


def test_server_log_has_no_errors_after_pages(live_site, browser):
    """Every main screen answers without a server error for the admin."""
    base = live_site["url"]
    slug = live_site["tenant"].slug
    page = browser.new_page()
    _login(page, base, f"admin@{slug}.test", ADMIN_PASSWORD)
    page.wait_for_url(f"{base}/")
    for path in ["/", "/pengguna/", "/audit/", "/pengaturan/", "/akun/", "/akun/dua-langkah/"]:
        resp = page.goto(f"{base}{path}")
        assert resp.status == 200, f"{path}: {resp.status}"
    page.close()
    assert "Traceback" not in live_site["log"].read_text()
