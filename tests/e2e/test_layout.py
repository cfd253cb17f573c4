"""Every portal page fits a 390×844 phone and every main staff page fits 1366×900: no
sideways scrolling of the page nor of any box inside it, and no untranslated raw key
(``cukup_sehat``, ``jasa,principal,wajib,others``) in the visible text. One server, one
browser and one seeded cooperative for the whole module; a screenshot of each page."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import ADMIN_PASSWORD
from tests.e2e.conftest import SHOTS, chromium, click_and_wait, copy_to_docs, serve

# django_db: asks pytest-django to set the test database up when this module runs alone;
# the tests themselves only drive the browser (the seeded rows commit in `site`).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PW = "Tata-Letak-2026!"

# What overflows, as the browser sees it: the page wider than the window, or a box whose
# content is wider than itself while it clips or scrolls sideways (the table wrappers
# that hid Jumlah/Saldo and Status on a phone). Visually hidden helpers (1 px) aside.
OVERFLOW_JS = """() => {
  const doc = document.documentElement;
  const out = {page: doc.scrollWidth > window.innerWidth ? [doc.scrollWidth, window.innerWidth] : null,
               boxes: []};
  for (const el of document.body.querySelectorAll('*')) {
    if (el.clientWidth <= 1) continue;
    const ox = getComputedStyle(el).overflowX;
    if ((ox === 'auto' || ox === 'scroll' || ox === 'hidden') && el.scrollWidth > el.clientWidth + 1) {
      out.boxes.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
    }
  }
  return out;
}"""
# The visible text, leaving out <code> (the audit log shows action codes on purpose).
TEXT_JS = """() => {
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('code, script, style, template, [hidden]')) continue;
    if (!el.checkVisibility()) continue;
    out.push(n.textContent);
  }
  return out.join(' ');
}"""
# Each amount ("Rp 1.234.567") that the browser broke over two lines, with the element
# holding it: on a phone "Rp" alone at a line's end and the figure under it is misread.
AMOUNT_WRAPPED_JS = r"""() => {
  const out = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const el = n.parentElement;
    if (!el || !el.checkVisibility()) continue;
    for (const m of n.textContent.matchAll(/-?Rp [0-9.]+(,[0-9]+)?/g)) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
      if (tops.size > 1) out.push(`${m[0]} in ${el.tagName.toLowerCase()}.${el.className}`);
    }
  }
  return out;
}"""
RAW_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+(?:,[a-z]+){2,}\b")


def _check(page, name: str) -> list[str]:
    """Problems of the open page (empty when it fits and reads well); screenshot it."""
    problems = []
    res = page.evaluate(OVERFLOW_JS)
    if res["page"]:
        problems.append(f"{name}: page scrolls sideways {res['page']}")
    problems += [f"{name}: box scrolls sideways {b}" for b in res["boxes"]]
    raw = sorted(set(RAW_KEY.findall(page.evaluate(TEXT_JS))))
    if raw:
        problems.append(f"{name}: raw keys on screen {raw}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
    return problems


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    """A scratch cooperative with a member who has savings and a disbursed loan, served
    by one runserver; dropped afterwards."""
    import uuid

    from django.db import connection
    from django.test import override_settings

    from core.loans.services import (
        loan_apply,
        loan_approve,
        loan_disburse,
        loan_repay,
        loan_verify,
    )
    from core.savings.selectors import product_for_kind
    from core.savings.services import savings_account_get_or_open, teller_deposit
    from core.users.models import User
    from tenants.services import cooperative_create, cooperative_discard
    from tests.members import factories as f

    tmp = tmp_path_factory.mktemp("layout")
    with django_db_blocker.unblock():
        slug = f"scratch-{uuid.uuid4().hex[:8]}"
        coop = cooperative_create(
            slug=slug,
            name=f"KPRI Tata Letak {slug[-4:]}",
            admin_email=f"admin@{slug}.test",
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        ).cooperative
        connection.set_tenant(coop)
        try:
            with override_settings(MEDIA_ROOT=str(tmp / "media")):
                staff = {}
                for role in ("petugas", "bendahara", "ketua"):
                    staff[role] = User.objects.create_user(
                        username=f"{role}@{slug}.test",
                        email=f"{role}@{slug}.test",
                        password=PW,
                        role=role,
                        full_name=role.title(),
                        is_staff=True,
                    )
                member = f.member(
                    full_name="Dewi Kartika Sari Ningsih",
                    take_home_pay=D("7500000"),
                    join_date=dt.date(2019, 3, 1),
                )
                anggota = User.objects.create_user(
                    username=f"dewi@{slug}.test",
                    email=f"dewi@{slug}.test",
                    password=PW,
                    role="anggota",
                    full_name=member.full_name,
                )
                member.user = anggota
                member.save(update_fields=["user"])
                today = dt.date.today()
                for kind, amount in (("sukarela", "1250000"), ("wajib", "100000")):
                    acc = savings_account_get_or_open(
                        member=member, product=product_for_kind(kind), on=today, by=staff["petugas"]
                    )
                    teller_deposit(
                        account=acc, amount=D(amount), channel="cash", on=today, by=staff["petugas"]
                    )
                from core.loans.models import LoanProduct

                product = LoanProduct.objects.filter(is_active=True).order_by("pk").first()
                product.min_membership_months = 0
                product.save(update_fields=["min_membership_months"])
                loan = loan_apply(
                    member=member,
                    product=product,
                    principal=D("6000000"),
                    tenor=12,
                    by=staff["petugas"],
                    on=today,
                    documents=[
                        ("application_letter", SimpleUploadedFile("s.pdf", b"%PDF-1.4 surat")),
                        ("payslip", SimpleUploadedFile("g.pdf", b"%PDF-1.4 slip")),
                    ],
                )
                loan_verify(loan=loan, by=staff["bendahara"])
                loan_approve(loan=loan, by=staff["ketua"])
                loan_disburse(loan=loan, by=staff["bendahara"], on=today)
                # a payment: the loan page's payments table is a table of cards too
                loan_repay(loan=loan, amount=D("250000"), by=staff["bendahara"], on=today)
                ids = {"member": member.pk, "loan": loan.pk}
        finally:
            connection.set_schema_to_public()
    try:
        with serve(coop, tmp) as s:
            yield s | {"ids": ids, "slug": slug}
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            cooperative_discard(cooperative=coop)


@pytest.fixture(scope="module")
def browser_m():
    with chromium() as b:
        yield b


def _login(page, base, username, password):
    page.goto(f"{base}/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    click_and_wait(page, "button.primary")


PORTAL_PAGES = [
    ("portal-home", "/portal/"),
    ("portal-transactions", "/portal/transaksi/"),
    ("portal-loans", "/portal/pinjaman/"),
    ("portal-loan", "/portal/pinjaman/{loan}/"),
    ("portal-simulate", "/portal/pinjaman/simulasi/"),
    ("portal-deductions", "/portal/potong-gaji/"),
    ("portal-shu", "/portal/shu/"),
    ("portal-profile", "/akun/"),
]


def test_every_portal_page_fits_a_phone(site, browser_m):
    base = site["url"]
    ctx = browser_m.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    page = ctx.new_page()
    problems = []
    # before logging in: the login page and the self-activation form fit too
    for name, path in (("phone-login", "/masuk/"), ("phone-activate", "/masuk/aktifkan/")):
        assert page.goto(base + path).status == 200
        problems += _check(page, name)
    _login(page, base, f"dewi@{site['slug']}.test", PW)
    for name, path in PORTAL_PAGES:
        resp = page.goto(base + path.format(**site["ids"]))
        assert resp.status == 200, f"{path}: {resp.status}"
        problems += _check(page, name)
        problems += [
            f"{name}: amount broken over two lines: {a}" for a in page.evaluate(AMOUNT_WRAPPED_JS)
        ]
    # a simulation's schedule is a table too
    page.goto(f"{base}/portal/pinjaman/simulasi/")
    page.fill("input[name=principal]", "5000000")
    page.fill("input[name=tenor]", "12")
    click_and_wait(page, "button.primary")
    assert page.locator("#simulation").is_visible()
    problems += _check(page, "portal-simulate-result")

    # the header is one row and every tab is on screen, without scrolling
    page.goto(f"{base}/portal/")
    header = page.locator("header.topbar").bounding_box()
    brand = page.locator("header.topbar .brand").bounding_box()
    logout = page.locator("header.topbar button.link").bounding_box()
    assert abs(brand["y"] - logout["y"]) < brand["height"] and header["height"] < 90
    for tab in page.locator(".portal-nav a").all():
        box = tab.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, tab.inner_text()
    # the home shows the next instalment and the last payroll deduction
    nxt = page.inner_text("#portal-next-instalment")
    assert "Rp " in nxt and "jatuh tempo" in nxt
    assert page.locator("#portal-last-deduction").is_visible()
    # a table became stacked cards: each value carries its label, nothing is hidden
    page.goto(f"{base}/portal/pinjaman/{site['ids']['loan']}/")
    first = page.locator("table.cards tbody tr").first
    assert first.locator("td[data-label]").count() == 7
    assert first.locator("td").last.is_visible()
    ctx.close()
    assert not problems, "\n".join(problems)
    copy_to_docs([n for n, _p in PORTAL_PAGES] + ["phone-activate"])


def test_every_main_staff_page_fits_a_desktop(site, browser_m):
    base = site["url"]
    ctx = browser_m.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    page = ctx.new_page()
    _login(page, base, f"admin@{site['slug']}.test", ADMIN_PASSWORD)
    # every entry of the side navigation, plus the detail pages a treasurer opens most
    hrefs = page.eval_on_selector_all(".sidenav a", "els => els.map(e => e.getAttribute('href'))")
    extra = [
        f"/anggota/{site['ids']['member']}/",
        f"/pinjaman/{site['ids']['loan']}/",
        "/buku-besar/laporan/neraca-saldo/",
        "/buku-besar/laporan/neraca/",
        "/buku-besar/laporan/phu/",
        "/buku-besar/laporan/arus-kas/",
    ]
    paths = list(dict.fromkeys([h for h in hrefs if h and h.startswith("/")] + extra))
    assert len(paths) >= 15
    problems = []
    for path in paths:
        resp = page.goto(base + path)
        if resp.status == 404 and path in extra:
            continue  # a report under another name
        assert resp.status == 200, f"{path}: {resp.status}"
        name = "staff" + (path.rstrip("/").replace("/", "-") or "-home")
        problems += _check(page, name)
    ctx.close()
    assert not problems, "\n".join(problems)
    copy_to_docs(["staff-home", "staff-pinjaman", f"staff-pinjaman-{site['ids']['loan']}"])
    assert "Internal Server Error" not in site["log"].read_text()
