"""Wording and consistency: one date style on screens, rupiah as ``Rp 1.234.567``, no
raw keys, a plain login error, a "Masuk" link and real terms on the public site,
plural list menus in English."""

import datetime as dt

from django.utils import translation

from core.common.dates import format_date
from tests.webapp.conftest import make_user


def test_screen_dates_read_4_des_2026():
    with translation.override("id"):
        assert format_date(dt.date(2026, 12, 4)) == "4 Des 2026"
    with translation.override("en"):
        assert format_date(dt.date(2026, 12, 4)) == "4 Dec 2026"
    assert format_date(None) == ""


def test_login_error_does_not_repeat_the_field_name(client_a, in_tenant_a):
    body = client_a.post("/masuk/", {"username": "siapa@alpha.test", "password": "x"}).content
    text = body.decode()
    assert "Nama pengguna/e-mail atau kata sandi salah." in text
    assert "nama pengguna nama pengguna" not in text.lower()


def test_public_site_has_a_masuk_link_that_finds_the_cooperative(client_public, tenant_a):
    home = client_public.get("/").content.decode()
    assert 'href="/masuk-koperasi/"' in home
    assert client_public.get("/masuk-koperasi/").status_code == 200
    go = client_public.get("/masuk-koperasi/", {"alamat": "alpha"})
    assert go.status_code == 302 and go["Location"].startswith("http://alpha.")
    assert go["Location"].endswith("/masuk/")
    miss = client_public.get("/masuk-koperasi/", {"alamat": "tidak-ada"})
    assert miss.status_code == 200 and "tidak ditemukan" in miss.content.decode()


def test_terms_are_a_real_page_linked_from_the_sign_up_form(client_public):
    terms = client_public.get("/syarat-dan-ketentuan/")
    assert (
        terms.status_code == 200 and "Data anggota adalah milik koperasi" in terms.content.decode()
    )
    form = client_public.get("/daftar/").content.decode()
    assert 'href="/syarat-dan-ketentuan/"' in form and "data-clear-errors" in form


def test_terms_describe_the_isolation_that_is_built(client_public):
    """Every cooperative has its own schema in ONE shared PostgreSQL database
    (docs/architecture.md): the terms must not promise a database of its own."""
    terms = client_public.get("/syarat-dan-ketentuan/").content.decode()
    assert "basis data yang terpisah" not in terms
    assert "skema basis data tersendiri" in terms
    client_public.cookies["django_language"] = "en"
    body_en = client_public.get("/syarat-dan-ketentuan/").content.decode()
    assert "a database kept apart" not in body_en and "database schema of its own" in body_en


def test_sign_up_errors_clear_when_the_field_is_edited_by_static_js():
    from pathlib import Path

    js = (Path(__file__).parents[2] / "platform/lumbung/static/lumbung/app.js").read_text()
    assert "data-clear-errors" in js and ".errorlist" in js


def test_english_list_menus_are_plural_and_list_is_not_sign_up(client_a, in_tenant_a):
    client_a.force_login(make_user("admin", email="admin-en@alpha.test"))
    client_a.cookies["django_language"] = "en"
    body = client_a.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nav = body.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    for plural in ("Members", "Agencies", "Accounts", "Periods", "Payroll deductions"):
        assert f">{plural}<" in nav, plural
    assert "Sign up" not in body


def test_npl_band_and_allocation_order_show_labels_not_keys(client_a, in_tenant_a):
    client_a.force_login(make_user("bendahara", email="bend-kata@alpha.test"))
    loans = client_a.get("/pinjaman/").content.decode()
    assert "cukup_sehat" not in loans and "tidak_sehat" not in loans
    runs = client_a.get("/potong-gaji/").content.decode()
    assert "jasa,principal" not in runs and "pokok pinjaman" in runs


def test_teller_flash_message_shows_rupiah(client_a, in_tenant_a):
    from core.savings.selectors import product_for_kind
    from core.savings.services import savings_account_get_or_open
    from tests.members import factories as f

    petugas = make_user("petugas", email="petugas-kata@alpha.test")
    m = f.member()
    acc = savings_account_get_or_open(
        member=m, product=product_for_kind("sukarela"), on=dt.date.today(), by=petugas
    )
    client_a.force_login(petugas)
    resp = client_a.post(
        f"/simpanan/teller/?member={m.pk}",
        {"account": acc.pk, "action": "deposit", "amount": "1.234.567", "channel": "cash"},
        follow=True,
    )
    msgs = [str(x) for x in resp.context["messages"]]
    assert any("Rp 1.234.567" in x for x in msgs), msgs
    assert not any("1234567" in x for x in msgs)


def test_terms_say_what_happens_to_an_unpaid_cooperative_as_built(client_public, settings):
    """The terms promised read-only access "until paid" and exports "at any time"; the
    daily billing sweep archives a cooperative suspended for an unpaid bill after
    ``BILLING_ARCHIVE_AFTER_DAYS`` and then nobody logs in (billing/services/daily.py,
    billing/middleware.py). The page says the grace, the read-only time and the archive
    with the configured days, and where a copy comes from then."""
    settings.BILLING_PAST_DUE_GRACE_DAYS = 9
    settings.BILLING_ARCHIVE_AFTER_DAYS = 77
    terms = client_public.get("/syarat-dan-ketentuan/").content.decode()
    assert "sampai dibayar; data tidak dihapus" not in terms
    assert "<p>Koperasi dapat mengekspor datanya kapan saja." not in terms
    assert "Selama penggunanya dapat masuk" in terms
    assert "9 hari" in terms and "77 hari" in terms
    assert "diarsipkan" in terms and "tim Lumbung" in terms
