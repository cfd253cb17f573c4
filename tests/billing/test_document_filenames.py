"""Download names of invoice and credit-note PDFs: our numbers hold slashes
(``INV/2026/000001``), which no file name may; they become dashes."""

import re

from tests.billing.test_credit_note_documents import _client, period_paid_twice  # noqa: F401

SAFE = re.compile(r'inline; filename="[A-Za-z0-9._-]+\.pdf"')


def _name(response) -> str:
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert SAFE.fullmatch(header), header
    return header.split('"')[1]


def test_invoice_and_credit_note_pdfs_are_named_without_slashes(
    period_paid_twice,  # noqa: F811
    tenant_a,
    client_a,
    admin_a,
):
    sub, first, renewal, other, note = period_paid_twice
    client = _client(tenant_a, client_a, admin_a.username)
    dashed = first.number.replace("/", "-")
    assert dashed.startswith("INV-") and "/" not in dashed
    assert _name(client.get(f"/langganan/tagihan/{first.number}/pdf/")) == f"kuitansi-{dashed}.pdf"
    dashed_note = note.number.replace("/", "-")
    assert (
        _name(client.get(f"/langganan/nota-retur/{note.number}/pdf/"))
        == f"nota-retur-{dashed_note}.pdf"
    )
