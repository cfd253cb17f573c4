"""The loan forms (application, product) as a clerk reads them after a refusal: the
reason once at the top, and a field's own error in that field's box. With ``form.as_p``
under the template's own non-field block the reason stood twice, and *Tidak terjangkau.*
(about the amount) came out above the amount's label, right under *Produk*."""

from core.loans.models import Loan
from tests.loans.test_api_views import _files
from tests.webapp.test_form_field_boxes import error_boxes


def test_unaffordable_application_says_why_once_and_marks_the_amount(login, staff, member, product):
    r = login(staff["petugas"]).post(
        "/pinjaman/ajukan/",
        {
            "member_number": member.number,
            "product": product.pk,
            "principal": "50.000.000",  # 5.500.000 a month against 33,33% of 15.000.000
            "tenor": "10",
            "purpose": "Renovasi",
            **_files(),
        },
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("Kurangi jumlah atau perpanjang tenor.") == 1
    boxes = {frozenset(names): text for names, text in error_boxes(html)}
    assert "Tidak terjangkau." in boxes[frozenset({"principal"})]
    assert not Loan.objects.filter(member=member).exists()


def test_product_form_range_refusal_names_the_field_not_the_constraint(login, staff, product):
    """A maximum below the minimum came back as *Batasan “loans_product_amount_range”
    dilanggar.*, twice, naming no field."""
    from core.loans.services import PRODUCT_FIELDS

    data = {f: getattr(product, f) for f in PRODUCT_FIELDS}
    data.update(min_amount="60.000.000", max_amount="50.000.000", min_tenor="12", max_tenor="6")
    r = login(staff["admin"]).post(f"/pinjaman/produk/{product.pk}/", data)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Batasan" not in html and "loans_product" not in html
    boxes = {frozenset(names): text for names, text in error_boxes(html)}
    assert (
        "tidak boleh kurang dari plafon minimum (Rp 60.000.000)" in boxes[frozenset({"max_amount"})]
    )
    assert "tidak boleh kurang dari tenor minimum (12 bulan)" in boxes[frozenset({"max_tenor"})]
    assert len(boxes) == 2
    product.refresh_from_db()
    assert (product.min_amount, product.max_tenor) == (1_000_000, 24)


def test_product_api_range_refusal_names_the_field_not_the_constraint(login, staff, product):
    """The API answered ``fields: {"__all__": ["Batasan “loans_product_amount_range”
    dilanggar."]}``; it names the field and the figure, as the form does."""
    r = login(staff["admin"]).patch(
        f"/api/v1/loans/products/{product.pk}/",
        {"min_amount": "60.000.000", "max_amount": "50.000.000"},
        content_type="application/json",
    )
    assert r.status_code == 400
    body = r.json()["error"]
    assert "loans_product" not in str(body)
    assert "plafon minimum (Rp 60.000.000)" in body["fields"]["max_amount"][0]
    r = login(staff["admin"]).patch(
        f"/api/v1/loans/products/{product.pk}/",
        {"min_tenor": 12, "max_tenor": 6},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "tenor minimum (12 bulan)" in r.json()["error"]["fields"]["max_tenor"][0]
    product.refresh_from_db()
    assert (product.min_amount, product.max_tenor) == (1_000_000, 24)


def test_unaffordable_refusal_writes_the_share_the_indonesian_way(login, staff, member, product):
    """The loan page says 33,33%; the refusal said 33.33%."""
    r = login(staff["petugas"]).post(
        "/pinjaman/ajukan/",
        {
            "member_number": member.number,
            "product": product.pk,
            "principal": "50.000.000",
            "tenor": "10",
            "purpose": "Renovasi",
            **_files(),
        },
    )
    html = r.content.decode()
    assert "batas 33,33% gaji bersih (Rp 4.999.500)" in html
    assert "33.33" not in html


def test_application_form_leaves_checks_to_the_app(login, staff):
    """Without ``novalidate`` the browser's own bubble (in the browser's language) stopped
    a submit without files; the app's Indonesian error is what the clerk should read."""
    html = login(staff["petugas"]).get("/pinjaman/ajukan/").content.decode()
    form = html[html.index('<form method="post" enctype="multipart/form-data"') :]
    assert "novalidate" in form[: form.index(">")]
