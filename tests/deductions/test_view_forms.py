"""The payroll-deduction screens read their fields through forms: a malformed month,
agency, row number, date or cut-off day is a message on the page (or a 404 for an agency
that does not exist), never a 500, and changes nothing."""

import io

from core.deductions.models import DeductionImport, DeductionRun, DeductionSettings

from .conftest import csv_bytes, login, upload_on_screen


def _messages(resp) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in resp.context["messages"]]


def test_run_with_a_bad_month_is_a_message(coop, cutoffs):
    c = login(coop["by"])
    before = DeductionRun.objects.count()
    for data, text in (
        ({"year": "20x6", "month": "1"}, "Bulan atau tahun tidak valid."),
        ({"year": str(cutoffs[1].year), "month": "13"}, "Bulan atau tahun tidak valid."),
        ({}, "Bulan atau tahun tidak valid."),
    ):
        resp = c.post("/potong-gaji/", data, follow=True)
        assert resp.redirect_chain[-1][0] == "/potong-gaji/", data
        assert _messages(resp) == [("error", text)], data
    assert DeductionRun.objects.count() == before


def test_existing_run_is_the_service_message(coop, ready_run):
    c = login(coop["by"])
    resp = c.post("/potong-gaji/", {"year": ready_run.year, "month": ready_run.month}, follow=True)
    [(level, text)] = _messages(resp)
    assert level == "error" and "sudah ada" in text


def test_upload_for_an_agency_that_is_not_a_number_is_a_message(coop, ready_run):
    c = login(coop["by"])
    f = io.BytesIO(csv_bytes([(coop["m"][0].nip, 1000)]))
    f.name = "r.csv"
    url = f"/potong-gaji/{ready_run.pk}/"
    resp = c.post(url, {"upload": "1", "agency": "abc", "file": f}, follow=True)
    assert resp.redirect_chain[-1][0] == url
    [(level, text)] = _messages(resp)
    assert level == "error" and text.startswith("Instansi: ")
    assert not DeductionImport.objects.exists()
    assert c.post(url, {"upload": "1", "agency": "999999"}).status_code == 404


def test_reason_with_a_null_character_is_a_message_not_a_500(coop, ready_run):
    c = login(coop["by"])
    url = upload_on_screen(c, ready_run, coop["agencies"][0], [(coop["m"][0].nip, 250000)])
    resp = c.post(url, {"action": "reverse", "reason": "a\x00b", "confirmed": "1"}, follow=True)
    [(level, text)] = _messages(resp)
    assert level == "error" and text.startswith("Alasan: ")


def test_exclude_with_a_bad_row_number_is_a_message(coop, ready_run):
    c = login(coop["by"])
    ag = coop["agencies"][0]
    url = upload_on_screen(
        c, ready_run, ag, [(coop["m"][0].nip, 100000), ("199001012015011999", 5)]
    )
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    assert imp.errors and imp.excluded_rows == []
    resp = c.post(url, {"action": "exclude", "rows": ["3", "x"]}, follow=True)
    assert resp.redirect_chain[-1][0] == url
    assert _messages(resp) == [("error", "Nomor baris tidak valid.")]
    imp.refresh_from_db()
    assert imp.excluded_rows == []
    row = imp.errors[0]["row"]
    resp = c.post(url, {"action": "exclude", "rows": [str(row)]}, follow=True)
    assert _messages(resp) == []
    imp.refresh_from_db()
    assert imp.excluded_rows == [row]


def test_post_with_an_unreadable_date_is_refused(coop, ready_run):
    c = login(coop["by"])
    url = upload_on_screen(c, ready_run, coop["agencies"][0], [(coop["m"][0].nip, 250000)])
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    # refused before the confirmation page (it showed the undated figures under the date
    # as typed), with the posting's message
    resp = c.post(url, {"action": "post", "on": "31/31/2026"}, follow=True)
    assert 'id="confirm"' not in resp.content.decode()
    assert _messages(resp) == [("error", "Tanggal terima tidak valid (TTTT-BB-HH).")]
    resp = c.post(url, {"action": "post", "on": "31/31/2026", "confirmed": "1"}, follow=True)
    assert _messages(resp) == [("error", "Tanggal terima tidak valid (TTTT-BB-HH).")]
    imp.refresh_from_db()
    assert imp.status == "valid" and imp.entry_id is None
    run_url = f"/potong-gaji/{ready_run.pk}/"
    data = {"post_all": "1", "on": "31/31/2026", "confirmed": "1"}
    resp = c.post(run_url, data, follow=True)
    assert _messages(resp) == [("error", "Tanggal terima tidak valid (TTTT-BB-HH).")]
    imp.refresh_from_db()
    assert imp.status == "valid"


def test_settings_with_a_bad_cutoff_day_is_a_message(coop):
    c = login(coop["by"])
    before = DeductionSettings.objects.get(pk=1).cutoff_day
    resp = c.post("/potong-gaji/pengaturan/", {"cutoff_day": "2x", "priority": ""})
    assert resp.status_code == 200
    assert _messages(resp) == [("error", "Tanggal cut-off tidak valid.")]
    resp = c.post("/potong-gaji/pengaturan/", {"cutoff_day": "40", "priority": ""})
    assert resp.status_code == 200
    assert _messages(resp) == [("error", "Tanggal cut-off harus 1 sampai 28.")]
    assert DeductionSettings.objects.get(pk=1).cutoff_day == before


def test_agency_filter_that_is_not_a_number_is_a_404_not_a_500(coop, ready_run):
    """A pengawas's hand-edited link (``?agency=abc``) on the download and the
    reconciliation screens was a 500 (the text reached the database lookup)."""
    c = login(coop["staff"]["pengawas"])
    ag = coop["agencies"][0]
    for path in (
        f"/potong-gaji/{ready_run.pk}/unduh.xlsx",
        f"/potong-gaji/{ready_run.pk}/rekonsiliasi/",
    ):
        for bad in ("abc", "1.5", "-1", " 1x", "١"):
            assert c.get(path, {"agency": bad}).status_code == 404, (path, bad)
        assert c.get(path, {"agency": ag.pk}).status_code == 200, path
        assert c.get(path, {"agency": ""}).status_code == 200, path


def test_reversal_reason_over_the_limit_is_refused_before_the_confirmation(coop, ready_run):
    """A reason longer than every reversal keeps (1000 characters) is a message naming the
    limit on the import page, before the confirmation page is shown; nothing reversed."""
    from core.common.errors import REASON_MAX_LENGTH
    from core.deductions.services import deduction_import_post

    c = login(coop["by"])
    url = upload_on_screen(c, ready_run, coop["agencies"][0], [(coop["m"][0].nip, 250000)])
    imp = DeductionImport.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    deduction_import_post(imp=imp, by=coop["by"])
    resp = c.post(url, {"action": "reverse", "reason": "x" * (REASON_MAX_LENGTH + 1)}, follow=True)
    assert resp.redirect_chain[-1][0] == url
    [(level, text)] = _messages(resp)
    assert level == "error" and str(REASON_MAX_LENGTH) in text
    assert DeductionImport.objects.get(pk=imp.pk).status == "posted"
