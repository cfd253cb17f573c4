"""A form drawn by ``includes/form_fields.html`` keeps each field's label, input, help and
errors in one box. In a ``.form-grid`` (the member form) every child is a grid cell: a
bare help text or error list took a cell of its own, so *Masukkan tanggal yang valid.*
stood under *Jabatan* while the date box it was about sat two cells away."""

from django.test import Client
from django.test.html import Element, parse_html

from tests.members import factories as f


def _elements(node):
    for child in node.children:
        if isinstance(child, Element):
            yield child
            yield from _elements(child)


def _classes(el: Element) -> set[str]:
    return set((dict(el.attributes).get("class") or "").split())


def _inputs(el: Element) -> set[str]:
    return {
        dict(e.attributes).get("name")
        for e in _elements(el)
        if e.name in ("input", "select", "textarea")
    }


def error_boxes(html: str) -> list[tuple[set[str], str]]:
    """Every error list on the page with the names of the inputs in the box that holds
    it (its parent element)."""
    doc = parse_html(html)
    return [
        (_inputs(el), str(child))
        for el in _elements(doc)
        for child in el.children
        if isinstance(child, Element) and "errorlist" in _classes(child)
    ]


def grid_cells(html: str) -> list[Element]:
    doc = parse_html(html)
    return [
        child
        for grid in _elements(doc)
        if "form-grid" in _classes(grid)
        for child in grid.children
        if isinstance(child, Element)
    ]


def test_member_form_errors_stand_in_their_fields_box(client_a, in_tenant_a):
    f.agency()
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    r = c.post(
        "/anggota/baru/",
        {"full_name": "Uji Coba", "join_date": "31/02/2026", "take_home_pay": "abc"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    boxes = {frozenset(names): text for names, text in error_boxes(html)}
    # each error list shares its box with the one field it is about, and no other
    assert "Masukkan tanggal yang valid." in boxes[frozenset({"join_date"})]
    assert "bukan angka rupiah" in boxes[frozenset({"take_home_pay"})]
    assert "harus diisi" in boxes[frozenset({"nip"})]
    assert "harus diisi" in boxes[frozenset({"nik"})]
    assert "harus diisi" in boxes[frozenset({"agency"})]
    assert len(boxes) == 5, boxes.keys()
    for cell in grid_cells(html):
        assert not _classes(cell) & {"errorlist", "field-help"}, str(cell)
        assert _inputs(cell), str(cell)
