"""A row of the agency's file that pays a loan on a date the loan cannot take a payment
(before its last reschedule, or — a loan brought in at the move-in — on or before the
cut-over: ``core.loans``' ``loan_event_floor``) is flagged in the preview like any bad
row: a row error naming the loan and the earliest date, on the screen (the "Baris yang
salah" table, where it can be excluded) and in the API (``errors``). It is checked at
upload against the date the page proposes (the payday) and again at posting against
the date typed; a later date that the loan can take clears it. Before, only the posting
refused, naming the loan but no row, and nothing could be excluded."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.import_messages import rows_shown
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalEntry
from core.loans.models import Loan, Repayment
from core.loans.services import loan_reschedule, loans_payment_date_refusals
from core.loans.services.common import loan_event_date_refusal, loan_floor_annotations
from core.savings.models import SavingsTransaction

from .conftest import assert_reconciled, csv_bytes, login, make_run


def _state():
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
        sorted(Loan.objects.values_list("pk", "principal_outstanding", "status")),
        sorted(DeductionLine.objects.values_list("pk", "realized", "posted_import_id")),
    )


@pytest.fixture
def listed(coop, cutoffs):
    """Last month's run (payday: the 1st of this month, the date the page proposes) and a
    file paying m1's loan (row 2) and m3's wajib (row 3)."""
    prev, _this = cutoffs
    today = timezone.localdate()
    run = make_run(on=prev, by=coop["by"])
    if not run.payday < today:
        pytest.skip("today is the payday: no date after it to reschedule on")
    assert svc.posting_date_default(run) == run.payday
    content = csv_bytes([(coop["m"][0].nip, 600000), (coop["m"][2].nip, 100000)])
    return {"run": run, "loan": coop["loans"]["m1"], "on": today, "content": content}


def _reschedule(coop, case):
    """m1's loan rescheduled today, after the payday."""
    loan = case["loan"]
    loan_reschedule(
        loan=loan, by=coop["staff"]["ketua"], tenor=12, reason="gaji turun", on=case["on"]
    )
    loan.refresh_from_db()


@pytest.fixture
def rescheduled(coop, listed):
    """The same, m1's loan rescheduled before the file is uploaded."""
    _reschedule(coop, listed)
    return listed


def _upload(coop, case):
    return svc.deduction_import_upload(
        run=case["run"],
        agency=coop["agencies"][0],
        content=case["content"],
        file_name="a.csv",
        by=coop["by"],
    )


def _date_error(imp, row):
    found = [e for e in imp.errors if e["row"] == row]
    assert len(found) == 1, imp.errors
    return found[0]


def test_upload_flags_the_row_paying_a_loan_rescheduled_after_the_payday(coop, rescheduled):
    loan, on = rescheduled["loan"], rescheduled["on"]
    imp = _upload(coop, rescheduled)
    assert imp.status == DeductionImport.Status.INVALID
    e = _date_error(imp, 2)
    msg = e["message"]
    assert loan.number in msg and "penjadwalan ulang" in msg, msg
    assert format_tanggal(on) in msg and format_tanggal(rescheduled["run"].payday) in msg, msg
    assert "kecualikan" in msg.lower(), msg
    assert e["on_or_after"] == on.isoformat()
    assert [x["row"] for x in imp.errors] == [2]  # m3's row pays no loan
    assert imp.total_realized == D("100000")  # the flagged row books nothing as it stands


def test_the_flagged_row_is_said_in_the_readers_language(coop, rescheduled):
    """Uploaded with the English UI, read in Indonesian (``import_messages``): the
    loan's reason, its dates and the column in the reader's words."""
    loan, on = rescheduled["loan"], rescheduled["on"]
    with translation.override("en"):
        imp = _upload(coop, rescheduled)
        english = format_tanggal(on)
    e = _date_error(imp, 2)
    assert "before the rescheduling of loan" in e["message"] and e["code"] == "loan_date"
    assert english in e["message"] and e["column"] != "Tanggal uang diterima"
    with translation.override("id"):
        (shown,) = [x for x in rows_shown(imp.errors) if x["row"] == 2]
        indonesian = format_tanggal(on)
    assert shown["column"] == "Tanggal uang diterima"
    msg = shown["message"]
    assert f"sebelum penjadwalan ulang pinjaman {loan.number}" in msg and indonesian in msg
    assert "kecualikan baris ini" in msg and "reschedul" not in msg, msg
    assert shown["on_or_after"] == on.isoformat()


def test_api_and_screen_show_the_flagged_row_like_other_bad_rows(coop, rescheduled):
    loan = rescheduled["loan"]
    c = login(coop["by"])
    import io

    f = io.BytesIO(rescheduled["content"])
    f.name = "a.csv"
    r = c.post(
        f"/api/v1/deductions/runs/{rescheduled['run'].pk}/imports/",
        {"file": f, "agency": coop["agencies"][0].pk},
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["status"] == "invalid"
    (err,) = data["errors"]
    assert err["row"] == 2 and loan.number in err["message"]
    assert err["on_or_after"] == rescheduled["on"].isoformat()
    got = c.get(f"/api/v1/deductions/imports/{data['id']}/").json()
    assert got["errors"] == data["errors"]
    html = c.get(f"/potong-gaji/impor/{data['id']}/").content.decode()
    table = html.split("Baris yang salah", 1)[1].split("</table>", 1)[0]
    assert 'name="rows" value="2"' in table and loan.number in table
    assert format_tanggal(rescheduled["on"]) in table
    # the page still offers posting, on a date the treasurer types (the flagged row is
    # fine on or after the reschedule), and says so
    assert 'name="action" value="post"' in html
    assert 'name="on"' in html


def test_flagged_row_excluded_the_rest_posts_on_the_payday(coop, rescheduled):
    imp = _upload(coop, rescheduled)
    imp = svc.deduction_import_exclude(imp=imp, rows=[2], by=coop["by"])
    assert imp.status == DeductionImport.Status.VALID
    imp = svc.deduction_import_post(imp=imp, by=coop["by"])
    assert imp.status == DeductionImport.Status.POSTED
    assert imp.entry.date == rescheduled["run"].payday and imp.total_realized == D("100000")
    assert not Repayment.objects.filter(loan=rescheduled["loan"]).exists()
    assert DeductionLine.objects.get(run=rescheduled["run"], member=coop["m"][0]).realized == 0
    assert_reconciled()


def test_posting_on_or_after_the_reschedule_clears_the_flag_and_pays_the_loan(coop, rescheduled):
    imp = _upload(coop, rescheduled)
    c = login(coop["by"])
    # the confirmation asks for the whole file, the flagged row's money included
    box = c.post(
        f"/potong-gaji/impor/{imp.pk}/", {"action": "post", "on": rescheduled["on"].isoformat()}
    ).content.decode()
    assert "Ya, posting Rp 700.000" in box
    r = c.post(
        f"/potong-gaji/impor/{imp.pk}/",
        {"action": "post", "on": rescheduled["on"].isoformat(), "confirmed": "1"},
    )
    assert r.status_code == 302
    imp.refresh_from_db()
    assert imp.status == DeductionImport.Status.POSTED, imp.errors
    assert imp.errors == [] and imp.total_realized == D("700000")
    rep = Repayment.objects.get(loan=rescheduled["loan"])
    assert rep.paid_on == rescheduled["on"]
    assert_reconciled()


def test_posting_before_the_reschedule_is_refused_naming_the_row_and_writes_nothing(coop, listed):
    """The file is uploaded (its rows fine for the payday), then the loan is rescheduled,
    then the treasurer posts on the payday: refused naming the row and the loan, the row
    flagged for exclusion, nothing posted (not even m3's wajib)."""
    run, loan = listed["run"], listed["loan"]
    imp = _upload(coop, listed)
    assert imp.status == DeductionImport.Status.VALID and imp.errors == []
    _reschedule(coop, listed)
    rescheduled = listed
    before = _state()
    with pytest.raises(ApplicationError) as e:
        svc.deduction_import_post(imp=imp, by=coop["by"], on=run.payday)
    assert e.value.code == "deduction_loan_date"
    msg = str(e.value.message)
    assert "baris 2" in msg and loan.number in msg and format_tanggal(rescheduled["on"]) in msg, msg
    assert e.value.fields["on"] and e.value.fields["rows"]
    assert _state() == before
    imp.refresh_from_db()
    assert imp.status == DeductionImport.Status.INVALID
    assert _date_error(imp, 2)["on_or_after"] == rescheduled["on"].isoformat()
    # API: the same refusal as JSON
    r = login(coop["by"]).post(
        f"/api/v1/deductions/imports/{imp.pk}/post/",
        {"on": run.payday.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "deduction_loan_date"
    assert loan.number in r.json()["error"]["message"]
    assert _state() == before


def test_the_loans_dates_are_read_in_one_query_for_the_file(coop, rescheduled):
    """m1's and m2's loans both paid by the file: one read of their dates at upload,
    and one at posting — the loans batch's own lock, whose dates the posting's by-row
    check uses (not one per row, and not read twice)."""
    m1, m2, m3 = coop["m"][:3]
    rescheduled["content"] = csv_bytes([(m1.nip, 600000), (m2.nip, 600000), (m3.nip, 100000)])
    with CaptureQueriesContext(connection) as ctx:
        imp = _upload(coop, rescheduled)
    reads = [q["sql"] for q in ctx.captured_queries if '"loans_reschedule"' in q["sql"]]
    assert len(reads) == 1, reads
    with CaptureQueriesContext(connection) as ctx:
        svc.deduction_import_post(imp=imp, by=coop["by"], on=rescheduled["on"])
    reads = [q["sql"] for q in ctx.captured_queries if '"loans_reschedule"' in q["sql"]]
    assert len(reads) == 1, reads  # the batch's lock, shared with the by-row check


def test_the_refusals_query_refuses_the_days_the_rule_refuses(coop, rescheduled):
    """``loans_payment_date_refusals`` reads only the loans with a bound after the date
    (``loan_floor_after``): day by day around the reschedule and the disbursement it
    refuses exactly what ``loan_event_date_refusal`` refuses of the loan read whole."""
    loan = rescheduled["loan"]
    whole = Loan.objects.annotate(**loan_floor_annotations()).get(pk=loan.pk)
    for bound in (rescheduled["on"], loan.disbursed_on):
        for days in range(-2, 3):
            on = bound + timedelta(days=days)
            expected = loan_event_date_refusal(whole, on, label="Tanggal") is not None
            refused = loans_payment_date_refusals(loan_ids=[loan.pk], on=on)
            assert (loan.pk in refused) == expected
            assert expected == (on < rescheduled["on"])
