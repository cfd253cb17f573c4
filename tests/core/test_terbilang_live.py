"""A rupiah box says the amount in words under it as it is typed (``RupiahInput``, asked
of ``/terbilang/`` with htmx), so an extra zero shows before the form is sent."""

import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from core.common.fields import TERBILANG_URL, RupiahField
from core.savings.models import SavingsTransaction
from core.savings.services import savings_account_open
from tests.members import factories as f


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("25.000.000", "Dua puluh lima juta rupiah"),
        (
            "Rp 1.234.567",
            "Satu juta dua ratus tiga puluh empat ribu lima ratus enam puluh tujuh rupiah",
        ),
        ("250000", "Dua ratus lima puluh ribu rupiah"),
        ("", ""),
    ],
)
def test_the_words_of_what_is_typed(client_a, in_tenant_a, typed, words):
    client_a.force_login(f.user("petugas"))
    r = client_a.get("/terbilang/", {"amount": typed})
    assert r.status_code == 200
    assert r.content.decode() == words


def test_in_english_for_an_english_reader(client_a, in_tenant_a):
    client_a.force_login(f.user("anggota"))
    client_a.cookies["django_language"] = "en"
    r = client_a.get("/terbilang/", {"principal": "1.250.000"})
    assert r.content.decode() == "One million, two hundred and fifty thousand rupiah"


def test_not_an_amount_says_why_as_the_form_would(client_a, in_tenant_a):
    client_a.force_login(f.user("bendahara"))
    r = client_a.get("/terbilang/", {"amount": "12x<script>"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "bukan angka" in body and "terbilang-error" in body
    assert "<script>" not in body
    r = client_a.get("/terbilang/", {"amount": "9" * 30})
    assert "terlalu besar" in r.content.decode()


def test_a_cooperative_site_asks_a_login_first(client_a):
    r = client_a.get("/terbilang/", {"amount": "1.000"})
    assert r.status_code == 302 and r["Location"].startswith("/masuk/")


def test_the_public_site_has_it_too(client_public):
    assert client_public.get("/terbilang/", {"amount": "1.000"}).content.decode() == "Seribu rupiah"


def test_it_is_at_the_address_the_boxes_ask(client_a, in_tenant_a):
    assert reverse("terbilang") == TERBILANG_URL


@pytest.fixture
def teller_screen(tenant_a, in_tenant_a):
    from django.test import Client

    from core.savings.seeding import product_by_kind, savings_products_seed
    from tenants.services import tenant_host

    savings_products_seed()
    member_a = f.member()
    savings_account_open(
        member=member_a, product=product_by_kind("sukarela"), on=timezone.localdate()
    )
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("petugas"))
    return c, reverse("savings:teller") + f"?member={member_a.pk}"


def test_the_teller_amount_box_asks_for_its_words(teller_screen):
    c, url = teller_screen
    html = c.get(url).content.decode()
    box = re.search(r'<input[^>]*name="amount"[^>]*>', html).group(0)
    assert f'hx-get="{TERBILANG_URL}"' in box and 'hx-target="#id_amount-terbilang"' in box
    assert re.search(
        r'<small class="terbilang" id="id_amount-terbilang" aria-live="polite">\s*</small>', html
    )


def test_a_form_sent_back_with_an_error_shows_the_words_of_what_was_typed(teller_screen):
    c, url = teller_screen
    r = c.post(url, {"action": "deposit", "amount": "25.000.000", "channel": "cash"})
    html = r.content.decode()
    assert "Pilih rekening" in html and not SavingsTransaction.objects.exists()
    assert re.search(r'id="id_amount-terbilang"[^>]*>Dua puluh lima juta rupiah</small>', html)


def test_a_box_that_takes_sen_has_no_words():
    class F(forms.Form):
        whole = RupiahField()
        sen = RupiahField(whole=False)

    html = str(F())
    assert 'id="id_whole-terbilang"' in html
    assert "id_sen-terbilang" not in html
