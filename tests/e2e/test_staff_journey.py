"""A cooperative's admin logs in, sees the dashboard, creates a user; the new user logs
in; a member reaches the portal on a phone-sized screen. Screenshots of each screen."""

import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.e2e.conftest import click_and_wait, copy_to_docs

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Bendahara-Kuat-2026"


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    click_and_wait(page, "button.primary")


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
    page.fill("main input[name=q]", "siti")  # not the top bar's search box
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
    assert page.goto(f"{base}/pengguna/baru/").status == 403

    # English switch.
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("h1").first.inner_text() == "Dashboard"
    shoot(page, "06-dashboard-en")

    ctx.close()
    copy_to_docs(["01-login", "02-dashboard", "04-users", "05-audit"])
    assert "Internal Server Error" not in live_site["log"].read_text()


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
    assert "Internal Server Error" not in live_site["log"].read_text()


def test_member_added_deposit_recorded_member_sees_balance_on_phone(
    live_site, browser, shoot, django_db_blocker
):
    """Staff adds an agency and a member, records a deposit at the teller, gives the member
    a login; the member opens the portal on a phone and sees the new balance."""
    from django.db import connection

    from tests.members.factories import unique_ids

    base = live_site["url"]
    slug = live_site["tenant"].slug
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = ctx.new_page()
    _login(page, base, f"admin@{slug}.test", ADMIN_PASSWORD)
    page.wait_for_url(f"{base}/")

    # Agency, then member.
    page.goto(f"{base}/anggota/instansi/baru/")
    page.fill("input[name=code]", "DISDIK")
    page.fill("input[name=name]", "Dinas Pendidikan Kota Palangka Raya")
    page.click("button.primary")
    page.wait_for_url(f"{base}/anggota/instansi/")

    nip, nik = unique_ids()
    page.goto(f"{base}/anggota/baru/")
    page.fill("input[name=full_name]", "Rina Wulandari")
    page.fill("input[name=nip]", nip)
    page.fill("input[name=nik]", nik)
    page.select_option("select[name=agency]", label="Dinas Pendidikan Kota Palangka Raya")
    page.fill("input[name=take_home_pay]", "6500000")
    shoot(page, "07-member-create")
    page.click("button.primary")
    # the form's own address, /anggota/baru/, matches "/anggota/*/": wait for a number
    page.wait_for_url(re.compile(re.escape(base) + r"/anggota/\d+/$"))
    member_pk = int(page.url.rstrip("/").rsplit("/", 1)[1])
    shoot(page, "08-member-detail")

    # Teller: open a sukarela account when needed, deposit Rp 750.000.
    page.goto(f"{base}/simpanan/teller/?member={member_pk}")
    radios = page.locator("input[name=account]")
    sukarela = page.locator("tr", has_text="ukarela").locator("input[name=account]")
    if sukarela.count() == 0:
        page.select_option(
            "select[name=open_product]",
            label=page.locator(
                "select[name=open_product] option", has_text="ukarela"
            ).first.inner_text(),
        )
        click_and_wait(page, "form.toolbar button:has-text('Buka')")
        sukarela = page.locator("tr", has_text="ukarela").locator("input[name=account]")
    assert radios.count() >= 1
    sukarela.first.check()
    page.select_option("select[name=action]", "deposit")
    page.fill("input[name=amount]", "750.000")
    # the amount in words appears under the box as it is typed (htmx asks /terbilang/)
    page.wait_for_selector(
        "#id_amount-terbilang:has-text('Tujuh ratus lima puluh ribu rupiah')", timeout=10_000
    )
    page.select_option("select[name=channel]", "cash")
    shoot(page, "09-teller")
    click_and_wait(page, "#teller-form button.primary")
    assert page.locator(".msg.success").count() >= 1
    assert "Rp 750.000" in page.content()

    # The member's login, linked to the member record.
    with django_db_blocker.unblock():
        from core.members.models import Member

        connection.set_tenant(live_site["tenant"])
        number = Member.objects.get(pk=member_pk).number
        connection.set_schema_to_public()
    page.goto(f"{base}/pengguna/baru/")
    page.fill("input[name=full_name]", "Rina Wulandari")
    page.fill("input[name=email]", f"rina@{slug}.test")
    page.select_option("select[name=role]", "anggota")
    page.fill("input[name=member_number]", number)
    page.fill("input[name=password]", "Anggota-Rina-2026")
    page.click("button.primary")
    page.wait_for_url(f"{base}/pengguna/")
    page.goto(f"{base}/")
    shoot(page, "10-dashboard-after")
    ctx.close()

    # The member on a phone.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    m = phone.new_page()
    _login(m, base, f"rina@{slug}.test", "Anggota-Rina-2026")
    m.wait_for_url(f"{base}/portal/")
    assert "Rina Wulandari" in m.content()
    assert "Rp 750.000" in m.locator("#portal-savings").inner_text()
    shoot(m, "11-portal-phone")
    m.goto(f"{base}/portal/transaksi/")
    assert "Rp 750.000" in m.content()
    shoot(m, "12-portal-transactions-phone")
    # Members cannot open staff screens.
    assert m.goto(f"{base}/anggota/").status == 403
    phone.close()
    copy_to_docs(["09-teller", "10-dashboard-after", "11-portal-phone"])
    assert "Internal Server Error" not in live_site["log"].read_text()


def test_loan_applied_approved_by_another_user_disbursed_repaid_and_trial_balance_pdf(
    live_site, browser, shoot, django_db_blocker
):
    """The loan workflow through the screens, each step by the role that owns it: petugas
    applies, bendahara verifies, ketua approves (another user), bendahara disburses and
    records a repayment; the trial balance opens and its PDF downloads; the member sees
    the loan in the portal."""
    from django.db import connection

    from core.loans.models import LoanProduct
    from core.users.models import User
    from tests.members import factories as f

    base = live_site["url"]
    tenant = live_site["tenant"]
    pw = "Peran-Uji-2026!"
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        try:
            users = {}
            for role in ("petugas", "bendahara", "ketua"):
                users[role] = User.objects.create_user(
                    username=f"{role}@{tenant.slug}.test",
                    email=f"{role}@{tenant.slug}.test",
                    password=pw,
                    role=role,
                    full_name=role.title(),
                    is_staff=True,
                )
            member = f.member(full_name="Budi Santoso", take_home_pay=D("9000000"))
            anggota = User.objects.create_user(
                username=f"budi@{tenant.slug}.test",
                email=f"budi@{tenant.slug}.test",
                password=pw,
                role="anggota",
                full_name="Budi Santoso",
            )
            member.user = anggota
            member.save(update_fields=["user"])
            product = LoanProduct.objects.filter(is_active=True).order_by("pk").first()
            assert product is not None, "the tenant seeders should create a loan product"
            product.min_membership_months = 0
            product.save(update_fields=["min_membership_months"])
            number = member.number
        finally:
            connection.set_schema_to_public()

    def as_role(role):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        _login(page, base, f"{role}@{tenant.slug}.test", pw)
        page.wait_for_url(f"{base}/")
        return ctx, page

    docs = Path(live_site["log"]).parent / "surat.pdf"
    docs.write_bytes(b"%PDF-1.4\n% surat permohonan\n")

    # Petugas applies.
    ctx, page = as_role("petugas")
    page.goto(f"{base}/pinjaman/ajukan/")
    page.select_option("select[name=product]", str(product.pk))
    page.fill("input[name=principal]", "5000000")
    page.fill("input[name=tenor]", "10")
    page.fill("input[name=member_number]", number)
    page.set_input_files("input[name=application_letter]", str(docs))
    page.set_input_files("input[name=payslip]", str(docs))
    shoot(page, "13-loan-apply")
    page.click("button.primary")
    page.wait_for_url(re.compile(re.escape(base) + r"/pinjaman/\d+/$"))
    loan_url = page.url
    ctx.close()

    # Bendahara sees it waiting on the dashboard and verifies.
    ctx, page = as_role("bendahara")
    assert page.locator("#panel-tasks a").first.get_attribute("href") in loan_url
    page.goto(loan_url)
    # the decision data sits beside the verify button: take-home pay, the new instalment,
    # the debt-service ratio against the product's limit, membership, savings
    decision = page.inner_text("#decision")
    assert "Rp 9.000.000" in page.inner_text("#take-home-pay")
    assert page.inner_text("#new-instalment").startswith("Rp ")
    assert page.locator("#dsr-value").inner_text().endswith("%")
    assert "bulan" in page.inner_text("#membership")
    assert "Pinjaman lain anggota" in decision
    click_and_wait(page, "form[action$='/verify/'] button.primary")
    ctx.close()

    # Ketua (another user) approves.
    ctx, page = as_role("ketua")
    page.goto(loan_url)
    click_and_wait(page, "form[action$='/approve/'] button.primary")
    ctx.close()

    # Bendahara disburses and records the first instalment.
    ctx, page = as_role("bendahara")
    page.goto(loan_url)
    click_and_wait(page, "form[action$='/disburse/'] button.primary")
    # the confirmation says what is paid out, net of each fee, then disburses
    assert "Diterima bersih anggota" in page.inner_text("#confirm")
    click_and_wait(page, "#confirm-button")
    shoot(page, "14-loan-disbursed")
    page.fill("form[action$='/repay/'] input[name=amount]", "550000")
    click_and_wait(page, "form[action$='/repay/'] button.primary")
    assert page.locator(".msg.success").count() >= 1
    # early payoff asks first, with the total in rupiah; going back leaves the loan running
    page.goto(loan_url)
    click_and_wait(page, "form[action$='/payoff/'] button")
    confirm = page.inner_text("#confirm")
    assert "Rp " in confirm and page.locator("#confirm-button").is_visible()
    click_and_wait(page, "#confirm a.button")
    assert page.url.rstrip("/") == loan_url.rstrip("/")

    # Trial balance on screen, then its PDF.
    page.goto(f"{base}/buku-besar/laporan/neraca-saldo/")
    assert page.locator("table").count() >= 1
    shoot(page, "15-trial-balance")
    # (fetched inside the page: *.localhost resolves in Chromium, not in Node)
    status, head, ctype = page.evaluate(
        """async (u) => { const r = await fetch(u); const b = new Uint8Array(await r.arrayBuffer());
        return [r.status, String.fromCharCode(...b.slice(0, 4)), r.headers.get('content-type')]; }""",
        f"{base}/buku-besar/laporan/neraca-saldo/?format=pdf",
    )
    assert (status, head, ctype) == (200, "%PDF", "application/pdf")
    ctx.close()

    # The member sees the loan and its outstanding principal in the portal.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    m = phone.new_page()
    _login(m, base, f"budi@{tenant.slug}.test", pw)
    m.wait_for_url(f"{base}/portal/")
    assert "Rp 4.500.000" in m.locator("#portal-loans").inner_text()  # 5.000.000 − 500.000
    shoot(m, "16-portal-loan-phone")
    phone.close()
    copy_to_docs(["02-dashboard", "15-trial-balance", "16-portal-loan-phone"])
    assert "Internal Server Error" not in live_site["log"].read_text()
