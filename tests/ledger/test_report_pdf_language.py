"""A statement's PDF is the cooperative's document in Indonesian (its letterhead,
signatures and print line are always Indonesian): read in English, the table itself must
not come out in English under an Indonesian frame ("BALANCE SHEET" beside "Ketua")."""

import io

from pypdf import PdfReader


def test_balance_sheet_pdf_in_english_mode_is_one_language(login, bendahara):
    c = login("bendahara")
    c.cookies["django_language"] = "en"
    assert "Balance Sheet" in c.get("/buku-besar/laporan/neraca/").content.decode()
    pdf = c.get("/buku-besar/laporan/neraca/?format=pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ketua" in text and "Bendahara" in text
    assert "NERACA" in text.upper()
    assert "BALANCE SHEET" not in text.upper(), text[:400]
