"""The results of "post every ready agency" are said in the reader's language, not the
starter's: the reasons an agency was left out (two ready files, rows too early for a
loan's date, a refused file, rows with errors) and the failure a task met posting one
are kept on the run as a code and its params beside the text, and rendered when the run
is shown (the page in the UI language, the API in the request's). Results kept before
codes show the text they stored."""

import copy
import pickle

import pytest
from django.utils import timezone, translation

from core.deductions import services as svc
from core.deductions.import_messages import Said
from core.deductions.models import DeductionRun
from core.loans.services import loan_reschedule

from .conftest import csv_bytes, login, make_run

LEFT_EN = {
    "two_files": "files are ready to post; discard the one not to be used first",
    "loan_date": "Row 2 flagged: the date received is too early for loan",
    "row_errors": "rows with errors (rows 3, 4). Posting every ready agency does not take",
    "file_invalid": "File refused: Wrong columns: no NIP",
}
LEFT_ID = {
    "two_files": "file siap diposting; buang yang tidak dipakai dulu",
    "loan_date": "Baris 2 ditandai: tanggal uang diterima terlalu awal untuk pinjaman",
    "row_errors": "2 baris salah (baris 3, 4). Posting semua instansi tidak mengambil",
    "file_invalid": "File ditolak: Kolom salah: tidak ada kolom NIP",
}


def _upload(run, agency, by, rows, *, name="a.csv", header=("NIP", "Jumlah")):
    return svc.deduction_import_upload(
        run=run, agency=agency, content=csv_bytes(rows, header=header), file_name=name, by=by
    )


def _left_out(coop, cutoffs, reason):
    """A run whose agency A is left out of "post all" for ``reason``; agency B is ready."""
    by = coop["by"]
    m1, m2, m3, m4 = coop["m"]
    a = coop["agencies"][0]
    if reason == "loan_date":
        run = make_run(on=cutoffs[0], by=by)
        today = timezone.localdate()
        if not run.payday < today:
            pytest.skip("today is the payday: no date after it to reschedule on")
        loan_reschedule(
            loan=coop["loans"]["m1"], by=coop["staff"]["ketua"], tenor=12, reason="x", on=today
        )
        _upload(run, a, by, [(m1.nip, 600000), (m3.nip, 100000)])
    else:
        run = make_run(on=cutoffs[1], by=by)
    if reason == "row_errors":
        _upload(run, a, by, [(m1.nip, 600000), ("199001012015011999", 50000), (m3.nip, "lima")])
    elif reason == "file_invalid":
        _upload(run, a, by, [("x", 1)], header=("Nama", "Jumlah"))
    elif reason == "two_files":
        _upload(run, a, by, [(m3.nip, 100000)])
        _upload(run, a, by, [(m3.nip, 100001)], name="b.csv")
    b = _upload(run, coop["agencies"][1], by, [(m4.nip, 100000)], name="dinkes.csv")
    assert b.status == "valid", b.errors
    return run


def _post_all(run, by, lang):
    with translation.override(lang):
        ids = svc.deduction_run_post_all_start(run=run, by=by)
        return svc.deduction_run_post_all(run=run, import_ids=ids, by=by)


def _results_box(coop, run, lang) -> str:
    c = login(coop["staff"]["ketua"])
    c.cookies["django_language"] = lang
    page = c.get(f"/potong-gaji/{run.pk}/").content.decode()
    return page.split('id="posting"', 1)[1].split("</div>", 1)[0]


def _api_results(coop, run, lang) -> dict:
    got = login(coop["by"]).get(f"/api/v1/deductions/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
    return {r["code"]: r for r in got.json()["posting"]["results"]}


@pytest.mark.parametrize("reason", ["two_files", "loan_date", "row_errors", "file_invalid"])
def test_left_out_reasons_of_a_run_started_in_indonesian_read_in_english(coop, cutoffs, reason):
    run = _post_all(_left_out(coop, cutoffs, reason), coop["by"], "id")
    a = coop["agencies"][0]
    (stored,) = [r for r in run.posting_results if r["code"] == a.code]
    assert LEFT_ID[reason] in stored["message"]  # the starter's words, kept
    assert stored["reason"] == reason

    box = _results_box(coop, run, "en")
    assert LEFT_EN[reason] in box.replace("&#x27;", "'"), box
    assert LEFT_ID[reason] not in box
    left = _api_results(coop, run, "en")[a.code]
    assert LEFT_EN[reason] in left["message"], left
    assert left["ok"] is False and left["reason"] == reason


@pytest.mark.parametrize("reason", ["two_files", "row_errors"])
def test_left_out_reasons_of_a_run_started_in_english_read_in_indonesian(coop, cutoffs, reason):
    run = _post_all(_left_out(coop, cutoffs, reason), coop["by"], "en")
    a = coop["agencies"][0]
    box = _results_box(coop, run, "id")
    assert LEFT_ID[reason] in box and LEFT_EN[reason] not in box, box
    assert LEFT_ID[reason] in _api_results(coop, run, "id")[a.code]["message"]


def test_a_batch_refused_in_its_task_is_read_in_the_readers_language(coop, cutoffs):
    """B posted by hand between the start and its task: the task's refusal, written in
    Indonesian, reads in English (and back)."""
    by = coop["by"]
    run = _left_out(coop, cutoffs, "row_errors")
    b = coop["agencies"][1]
    with translation.override("id"):
        ids = svc.deduction_run_post_all_start(run=run, by=by)
        svc.deduction_import_post(imp=run.imports.get(agency=b, status="valid"), by=by)
        run = svc.deduction_run_post_all(run=run, import_ids=ids, by=by)
    (stored,) = [r for r in run.posting_results if r["code"] == b.code]
    assert stored["ok"] is False and stored["message"] == "Impor ini sudah diposting."

    assert "This import has already been posted." in _results_box(coop, run, "en")
    assert _api_results(coop, run, "en")[b.code]["message"] == (
        "This import has already been posted."
    )
    assert _api_results(coop, run, "id")[b.code]["message"] == "Impor ini sudah diposting."


def test_results_kept_before_codes_show_their_stored_text(coop, cutoffs):
    run = _post_all(_left_out(coop, cutoffs, "row_errors"), coop["by"], "id")
    a = coop["agencies"][0]
    old = {"agency": a.name, "code": a.code, "import": None, "ok": False, "message": "Teks lama."}
    DeductionRun.objects.filter(pk=run.pk).update(posting_results=[old])
    run.refresh_from_db()
    assert "Teks lama." in _results_box(coop, run, "en")
    assert _api_results(coop, run, "en")[a.code]["message"] == "Teks lama."
    # params another version kept in a shape this one does not read: the stored text
    odd = {**old, "message_code": "left_two_files", "message_params": {}}
    DeductionRun.objects.filter(pk=run.pk).update(posting_results=[odd])
    run.refresh_from_db()
    assert "Teks lama." in _results_box(coop, run, "en")
    assert _api_results(coop, run, "en")[a.code]["message"] == "Teks lama."


def test_a_coded_refusal_survives_a_copy_and_a_pickle():
    """A posting's refusal now carries a ``Said`` as its message: copied (``deepcopy``) or
    pickled it stays the same text with its code and params (before, copying one rendered
    its text again as if it were a code: KeyError)."""
    said = Said("post_members_inactive", {"rows": [3, 5]})
    for again in (copy.deepcopy(said), pickle.loads(pickle.dumps(said))):
        assert isinstance(again, Said) and str(again) == str(said)
        assert (again.code, again.params) == ("post_members_inactive", {"rows": [3, 5]})
