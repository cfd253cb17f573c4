"""An import's row errors, file errors and warnings are said in the reader's language,
not the uploader's: a treasurer who uploads with the English UI leaves errors that the
chairman reads in Indonesian on the import page, and the API answers in the request's
language (``Accept-Language``). They are kept as a code and its params and rendered when
shown; an import kept before codes (a row error without ``code``, a file error that is a
plain string) still shows the text it stored."""

import io

from django.utils import translation

from core.deductions import services as svc
from core.deductions.models import DeductionImport

from .conftest import csv_bytes, login, upload_on_screen

UNKNOWN_NIP = "197001011990031777"


def _client(user, lang):
    c = login(user)
    c.cookies["django_language"] = lang  # the switcher's choice
    return c


def _bad_file_rows(coop):
    m1, m2, m3 = coop["m"][:3]
    return [
        (m1.nip, 99000000),  # above what was asked: a warning
        (UNKNOWN_NIP, 1000),
        (m2.nip, "abc"),
        (m3.nip, ""),
    ]


def _table(html: str) -> str:
    return html.split("<table><thead><tr><th>", 1)[1].split("</table>", 1)[0]


def test_errors_uploaded_in_english_are_read_in_indonesian_on_the_page_and_api(coop, ready_run):
    ag = coop["agencies"][0]
    url = upload_on_screen(_client(coop["by"], "en"), ready_run, ag, _bad_file_rows(coop))
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").split("/")[-1]))
    stored = {e["row"]: e for e in imp.errors}
    assert stored[3]["message"] == f"Unknown member {UNKNOWN_NIP}."  # the upload's words
    assert stored[3]["code"] == "member_unknown"
    assert stored[3]["params"] == {"who": UNKNOWN_NIP}

    html = _client(coop["staff"]["ketua"], "id").get(url).content.decode()
    table = _table(html)
    assert f"Anggota {UNKNOWN_NIP} tidak dikenal." in table
    assert "Jumlah &#x27;abc&#x27; bukan angka rupiah yang jelas" in table
    assert "Jumlah kosong; isi 0 bila anggota tidak dipotong." in table
    assert "Unknown member" not in html and "Empty amount" not in html
    assert "Jumlah Rp 99.000.000 melebihi yang diminta" in html  # the warning too

    api = login(coop["staff"]["ketua"])
    data = api.get(f"/api/v1/deductions/imports/{imp.pk}/").json()
    by_row = {e["row"]: e for e in data["errors"]}
    assert by_row[3]["message"] == f"Anggota {UNKNOWN_NIP} tidak dikenal."
    assert by_row[3]["code"] == "member_unknown" and by_row[3]["column"] == "NIP"
    assert by_row[4]["message"] == (
        "Jumlah 'abc' bukan angka rupiah yang jelas; tulis mis. 1.250.000 atau 1250000."
    )
    assert by_row[4]["code"] == "amount_unreadable"
    assert by_row[5]["message"] == "Jumlah kosong; isi 0 bila anggota tidak dipotong."
    (warning,) = data["warnings"]
    assert warning["message"].startswith("Jumlah Rp 99.000.000 melebihi yang diminta")


def test_errors_uploaded_in_indonesian_are_read_in_english(coop, ready_run):
    ag = coop["agencies"][0]
    url = upload_on_screen(_client(coop["by"], "id"), ready_run, ag, _bad_file_rows(coop))
    imp_id = int(url.rstrip("/").split("/")[-1])

    html = _client(coop["staff"]["ketua"], "en").get(url).content.decode()
    table = _table(html)
    assert f"Unknown member {UNKNOWN_NIP}." in table
    assert "Amount &#x27;abc&#x27; is not one clear rupiah amount" in table
    assert "Empty amount; enter 0 when the member was not deducted." in table
    assert "tidak dikenal" not in table and "Jumlah kosong" not in table
    assert "The amount Rp 99.000.000 exceeds the requested" in html

    api = login(coop["staff"]["ketua"])
    data = api.get(f"/api/v1/deductions/imports/{imp_id}/", HTTP_ACCEPT_LANGUAGE="en").json()
    by_row = {e["row"]: e for e in data["errors"]}
    assert by_row[3]["message"] == f"Unknown member {UNKNOWN_NIP}."
    assert by_row[5]["message"] == "Empty amount; enter 0 when the member was not deducted."
    (warning,) = data["warnings"]
    assert warning["message"].startswith("The amount Rp 99.000.000 exceeds the requested")
    # the request's language, not the reader's last choice: Indonesian without the header
    data = api.get(f"/api/v1/deductions/imports/{imp_id}/").json()
    assert {e["row"]: e for e in data["errors"]}[3]["message"] == (
        f"Anggota {UNKNOWN_NIP} tidak dikenal."
    )


def test_a_file_error_uploaded_in_english_is_read_in_indonesian(coop, ready_run):
    ag = coop["agencies"][0]
    with translation.override("en"):
        imp = svc.deduction_import_upload(
            run=ready_run,
            agency=ag,
            content=csv_bytes([("x", 1)], header=("Nama", "Jumlah")),
            file_name="r.csv",
            by=coop["by"],
        )
    assert imp.file_errors[0]["message"].startswith("Wrong columns: no NIP")
    assert imp.file_errors[0]["code"] == "no_id_column"

    html = _client(coop["staff"]["ketua"], "id").get(f"/potong-gaji/impor/{imp.pk}/")
    html = html.content.decode()
    assert "Kolom salah: tidak ada kolom NIP atau No. Anggota di baris judul." in html
    assert "Wrong columns" not in html
    data = login(coop["by"]).get(f"/api/v1/deductions/imports/{imp.pk}/").json()
    assert data["file_errors"] == [
        "Kolom salah: tidak ada kolom NIP atau No. Anggota di baris judul. Gunakan file "
        "ekspor (kolom 'Realisasi') atau dua kolom: NIP, Jumlah."
    ]
    assert data["file_error_codes"] == ["no_id_column"]


def test_a_file_error_of_an_unreadable_file_is_read_in_the_readers_language(coop, ready_run):
    with translation.override("id"):
        imp = svc.deduction_import_upload(
            run=ready_run,
            agency=coop["agencies"][0],
            content=b'NIP,Jumlah\n"123,1000\n456,2000\n',
            file_name="r.csv",
            by=coop["by"],
        )
    assert imp.file_errors[0]["message"].startswith('Tanda kutip (") di baris 2 tidak ditutup')
    data = (
        login(coop["by"])
        .get(f"/api/v1/deductions/imports/{imp.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .json()
    )
    (said,) = data["file_errors"]
    assert "2" in said and "Tanda kutip" not in said, said


def test_an_import_kept_before_codes_shows_what_it_stored(coop, ready_run):
    """Old rows have no ``code``: the text stored at upload is shown as it was, in any
    language, and the API says ``code`` null."""
    ag = coop["agencies"][0]
    url = upload_on_screen(_client(coop["by"], "id"), ready_run, ag, _bad_file_rows(coop))
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").split("/")[-1]))
    imp.errors = [{"row": 3, "column": "NIP", "message": "Anggota 1977 tidak dikenal."}]
    imp.file_errors = ["Berkas lama: kolom salah."]
    imp.posted_data = {"warnings": [{"row": 2, "column": "", "message": "Peringatan lama."}]}
    imp.save(update_fields=["errors", "file_errors", "posted_data"])

    html = _client(coop["staff"]["ketua"], "en").get(url).content.decode()
    assert "Anggota 1977 tidak dikenal." in _table(html)
    assert "Berkas lama: kolom salah." in html and "Peringatan lama." in html
    api = login(coop["by"])
    data = api.get(f"/api/v1/deductions/imports/{imp.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert data["errors"] == [
        {"row": 3, "column": "NIP", "message": "Anggota 1977 tidak dikenal.", "code": None}
    ]
    assert data["file_errors"] == ["Berkas lama: kolom salah."]
    assert data["file_error_codes"] == [None]


def test_excluding_every_bad_row_still_works_with_coded_errors(coop, ready_run):
    ag = coop["agencies"][0]
    c = _client(coop["by"], "en")
    url = upload_on_screen(c, ready_run, ag, _bad_file_rows(coop))
    r = c.post(url, {"action": "exclude", "all_rows": "on"})
    assert r.status_code == 302
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").split("/")[-1]))
    assert imp.excluded_rows == [3, 4, 5] and imp.status == "valid"


def test_the_api_upload_answers_in_the_requests_language(coop, ready_run):
    f = io.BytesIO(csv_bytes([(UNKNOWN_NIP, 1000)]))
    f.name = "r.csv"
    r = login(coop["by"]).post(
        f"/api/v1/deductions/runs/{ready_run.pk}/imports/",
        {"agency": coop["agencies"][0].pk, "file": f},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 201, r.content
    (err,) = r.json()["errors"]
    assert err["message"] == f"Unknown member {UNKNOWN_NIP}." and err["code"] == "member_unknown"


def test_a_code_whose_params_this_version_cannot_read_shows_the_stored_text(coop, ready_run):
    """Params kept in a shape this version does not read (another version's) show the text
    stored at upload, on the page and in the API, not an error page."""
    ag = coop["agencies"][0]
    url = upload_on_screen(_client(coop["by"], "id"), ready_run, ag, _bad_file_rows(coop))
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").split("/")[-1]))
    imp.file_errors = [{"code": "many_sheets", "params": {}, "message": "Teks saat unggah."}]
    imp.save(update_fields=["file_errors"])

    response = _client(coop["staff"]["ketua"], "en").get(url)
    assert response.status_code == 200
    assert "Teks saat unggah." in response.content.decode()
    data = login(coop["by"]).get(f"/api/v1/deductions/imports/{imp.pk}/").json()
    assert data["file_errors"] == ["Teks saat unggah."]
    assert data["file_error_codes"] == ["many_sheets"]
