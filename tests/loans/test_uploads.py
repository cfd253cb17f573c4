"""One upload policy for loan documents (issue 22): type by extension and content, size
limit, only while the loan is being decided, stored under the cooperative's directory."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.common.errors import ApplicationError
from core.loans.services import loan_document_add


@pytest.mark.parametrize(
    "name, content",
    [
        ("surat.html", b"<html><script>alert(1)</script></html>"),
        ("surat.pdf", b"<html>not a pdf</html>"),
        ("surat.html", b"%PDF-1.4 but named html"),
        ("surat", b"%PDF-1.4 no extension"),
    ],
)
def test_document_type_by_extension_and_content(make_loan, staff, name, content):
    loan = make_loan(until="applied")
    with pytest.raises(ApplicationError) as err:
        loan_document_add(
            loan=loan, kind="other", file=SimpleUploadedFile(name, content), by=staff["petugas"]
        )
    assert "file" in err.value.fields


def test_document_size_is_limited(make_loan, staff, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    loan = make_loan(until="applied")
    big = SimpleUploadedFile("besar.pdf", b"%PDF-1.4" + b"0" * 2048)
    with pytest.raises(ApplicationError) as err:
        loan_document_add(loan=loan, kind="other", file=big, by=staff["petugas"])
    assert "besar" in err.value.message


def test_no_documents_once_disbursed(make_loan, staff):
    loan = make_loan()  # disbursed
    with pytest.raises(ApplicationError):
        loan_document_add(
            loan=loan,
            kind="other",
            file=SimpleUploadedFile("sk.pdf", b"%PDF-1.4 sk"),
            by=staff["petugas"],
        )
    assert loan.documents.count() == 2  # the two from the application


def test_application_documents_go_through_the_policy(make_loan):
    from core.loans.models import LoanDocument

    loan = make_loan(until="applied")
    names = [d.file.name for d in LoanDocument.objects.filter(loan=loan)]
    assert names and all(n.startswith("coop_alpha/loans/") for n in names), names
    assert not any("surat" in n or "slip" in n for n in names)


def test_api_refuses_html_document_with_400(make_loan, staff, client_a):
    from django.test import Client

    loan = make_loan(until="applied")
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(staff["petugas"])
    r = c.post(
        f"/api/v1/loans/{loan.pk}/documents/",
        {"kind": "other", "file": SimpleUploadedFile("x.html", b"<html>" * 10)},
    )
    assert r.status_code == 400 and "file" in r.json()["error"]["fields"]
