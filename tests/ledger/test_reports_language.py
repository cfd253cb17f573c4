"""The reports page names its reports in the reader's language (the names were fixed in
Indonesian when the module was imported)."""

import pytest

NAMES = {
    "id": ["Neraca", "Neraca saldo", "Laporan perhitungan hasil usaha", "Laporan arus kas"],
    "en": ["Balance Sheet", "Trial balance", "Income statement", "Cash flow statement"],
}


@pytest.mark.parametrize("lang, other", [("en", "id"), ("id", "en")])
def test_report_names_on_the_reports_page_are_in_the_readers_language(login, lang, other):
    c = login("bendahara")
    c.cookies["django_language"] = lang
    body = c.get("/buku-besar/laporan/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    for name in NAMES[lang]:
        assert f">{name}</a>" in body, name
    for name in NAMES[other]:
        assert f">{name}</a>" not in body, name
