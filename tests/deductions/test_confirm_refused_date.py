"""The confirmation page of one agency's batch for a date the posting refuses. Before,
it showed the figures as if undated (penalty inside jasa, no loan's over-payment) under
the typed date and asked "Ya, posting"; the posting then refused. Now the page refuses
that date as the posting does (the same message), before asking: a date it does not take
(before the run's month, a closed period, in the future) and a date too early for a loan
a row pays (``loan_dates``). The import page says which date its preview's figures
assume."""

from datetime import timedelta

from django.utils import timezone

from core.common.dates import format_tanggal
from core.deductions import services as svc
from core.deductions.models import DeductionImport
from core.ledger.models import JournalEntry

from .conftest import csv_bytes, login, make_run


def _valid_import(coop, run, rows):
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes(rows),
        file_name="r.csv",
        by=coop["by"],
    )
    assert imp.status == "valid", imp.errors
    return imp


def test_confirmation_for_a_date_before_the_month_refuses_it_instead_of_figures(coop, cutoffs):
    run = make_run(on=cutoffs[1], by=coop["by"])
    imp = _valid_import(coop, run, [(coop["m"][0].nip, 250000)])
    c = login(coop["by"])
    url = f"/potong-gaji/impor/{imp.pk}/"
    early = run.month_start - timedelta(days=1)
    r = c.post(url, {"action": "post", "on": early.isoformat()})
    assert r.status_code == 302, r.content.decode()[:2000]
    page = c.get(r.url).content.decode()
    assert "sebelum bulan potong gaji" in page, page[:3000]
    assert 'id="confirm"' not in page
    imp.refresh_from_db()
    assert imp.status == "valid"


def test_confirmation_for_a_date_too_early_for_a_rows_loan_refuses_it_naming_the_row(coop, cutoffs):
    from core.loans.services import loan_reschedule

    prev, _this = cutoffs
    run = make_run(on=prev, by=coop["by"])
    loan = coop["loans"]["m1"]
    resched_on = timezone.localdate() - timedelta(days=1)
    imp = _valid_import(coop, run, [(coop["m"][0].nip, 600000), (coop["m"][2].nip, 100000)])
    loan_reschedule(
        loan=loan, by=coop["staff"]["ketua"], tenor=12, reason="gaji turun", on=resched_on
    )
    entries = JournalEntry.objects.count()
    c = login(coop["by"])
    url = f"/potong-gaji/impor/{imp.pk}/"
    r = c.post(url, {"action": "post", "on": (resched_on - timedelta(days=1)).isoformat()})
    assert r.status_code == 302, r.content.decode()[:2000]
    page = c.get(r.url).content.decode()
    assert loan.number in page and format_tanggal(resched_on) in page, page[:3000]
    assert 'id="confirm"' not in page
    assert JournalEntry.objects.count() == entries
    assert DeductionImport.objects.get(pk=imp.pk).status != "posted"
    # dated the reschedule's day, the page asks to post
    r = c.post(url, {"action": "post", "on": resched_on.isoformat()})
    assert r.status_code == 200 and 'id="confirm"' in r.content.decode()


def test_api_post_check_gives_the_loan_date_refusal(coop, cutoffs):
    from core.loans.services import loan_reschedule

    prev, _this = cutoffs
    run = make_run(on=prev, by=coop["by"])
    loan = coop["loans"]["m1"]
    resched_on = timezone.localdate() - timedelta(days=1)
    imp = _valid_import(coop, run, [(coop["m"][0].nip, 600000)])
    loan_reschedule(
        loan=loan, by=coop["staff"]["ketua"], tenor=12, reason="gaji turun", on=resched_on
    )
    on = (resched_on - timedelta(days=1)).isoformat()
    check = login(coop["by"]).get(f"/api/v1/deductions/imports/{imp.pk}/?on={on}").json()
    check = check["post_check"]
    assert check["ok"] is False and check["error"]["code"] == "deduction_loan_date", check


def test_import_page_says_the_date_its_preview_assumes(coop, cutoffs):
    run = make_run(on=cutoffs[1], by=coop["by"])
    imp = _valid_import(coop, run, [(coop["m"][0].nip, 250000)])
    page = login(coop["by"]).get(f"/potong-gaji/impor/{imp.pk}/").content.decode()
    note = page.split('id="preview-date"')[1].split("</p>")[0]
    assert format_tanggal(svc.posting_date_default(run)) in note, note
