"""An agency that deducted nothing this month (payroll failed, a file of zeros, or no
file at all): recorded as a confirmed batch that books no money and marks every line as
cut 0, so the month's dues are short and the next list carries them. Before, the zero
file was refused and the unposted lines counted for ever as "still asked by a list not
posted yet": the dues were never asked again."""

from decimal import Decimal as D

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalEntry
from core.loans.models import Repayment
from core.savings.models import SavingsTransaction

from .conftest import assert_reconciled, csv_bytes, login, make_run


def _upload(coop, run, amounts, agency=0):
    return svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][agency],
        content=csv_bytes([(m.nip, a) for m, a in amounts]),
        file_name="nol.csv",
        by=coop["by"],
    )


def _books():
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
    )


def test_file_of_zeros_is_refused_until_confirmed(coop, cutoffs):
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run = make_run(on=cutoffs[0], by=by)
    imp = _upload(coop, run, [(m1, 0), (m2, 0), (m3, 0)])
    assert imp.status == "valid", imp.errors
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_import_post(imp=imp, by=by)
    assert exc.value.code == svc.E.NOTHING_TO_POST
    assert "nothing_deducted" in exc.value.fields
    assert DeductionImport.objects.get(pk=imp.pk).status == "valid"


def test_confirming_nothing_deducted_with_money_in_the_file_is_refused(coop, cutoffs):
    by = coop["by"]
    m1 = coop["m"][0]
    run = make_run(on=cutoffs[0], by=by)
    imp = _upload(coop, run, [(m1, 5000)])
    books = _books()
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_import_post(imp=imp, by=by, nothing_deducted=True)
    assert exc.value.code == svc.E.FILE_INVALID
    assert _books() == books


def test_agency_that_deducted_nothing_its_dues_are_carried_to_next_list(coop, cutoffs):
    """The reviewer's scenario: last month's list returned with 0 for every member. Posted
    as "nothing deducted", it books nothing, every line is cut 0, and the next list asks
    m1's overdue instalment with this month's (200,000 jasa + 2,000,000 principal) and
    last month's wajib as arrears."""
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    prev, this = cutoffs
    run1 = make_run(on=prev, by=by)
    l1 = run1.lines.get(member=m1)
    assert (l1.jasa, l1.principal) == (D("100000"), D("1000000"))
    imp = _upload(coop, run1, [(m1, 0), (m2, 0), (m3, 0)])
    books = _books()
    imp = svc.deduction_import_post(imp=imp, by=by, nothing_deducted=True)
    assert imp.status == "posted" and imp.entry_id is None and imp.total_realized == 0
    assert imp.posted_data["nothing_deducted"] is True
    assert _books() == books  # no money, no journal entry, no movement
    lines = DeductionLine.objects.filter(run=run1, agency=coop["agencies"][0])
    assert all(ln.realized == 0 and ln.posted_import_id == imp.pk for ln in lines)
    assert AuditEvent.objects.filter(
        action="deductions.post_nothing", target_id=str(imp.pk)
    ).exists()
    run2 = make_run(on=this, by=by)
    n1 = run2.lines.get(member=m1)
    assert (n1.jasa, n1.principal) == (D("200000"), D("2000000"))
    assert n1.wajib_arrears == l1.wajib
    assert run2.lines.get(member=m3).wajib_arrears == run1.lines.get(member=m3).wajib
    # agency B's list is still out: its member's wajib is not asked twice
    assert run2.lines.get(member=coop["m"][3]).wajib_arrears == 0
    assert_reconciled()


def test_nothing_deducted_without_a_file_then_taken_back(coop, cutoffs):
    """No file at all: the treasurer records that the agency deducted nothing; taken
    back (the money came after all), the lines are open again and a real file posts."""
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    prev, _this = cutoffs
    run = make_run(on=prev, by=by)
    books = _books()
    imp = svc.deduction_agency_post_nothing(run=run, agency=coop["agencies"][0], by=by)
    assert imp.status == "posted" and imp.entry_id is None
    assert {r["amount"] for r in imp.rows} == {"0"} and len(imp.rows) == 3
    assert _books() == books
    with pytest.raises(ApplicationError) as exc:  # once per agency
        svc.deduction_agency_post_nothing(run=run, agency=coop["agencies"][0], by=by)
    assert exc.value.code == svc.E.ALREADY_POSTED
    imp = svc.deduction_import_reverse(imp=imp, reason="uang datang terlambat", by=by)
    assert imp.status == "reversed" and imp.reversal_entry_id is None
    assert not DeductionLine.objects.filter(run=run, realized__isnull=False).exists()
    l1 = run.lines.get(member=m1)
    real = _upload(coop, run, [(m1, int(l1.total)), (m2, 0), (m3, 0)])
    svc.deduction_import_post(imp=real, by=by)
    assert run.lines.get(member=m1).realized == l1.total
    assert_reconciled()


def test_nothing_deducted_refused_while_a_file_is_ready(coop, cutoffs):
    by = coop["by"]
    run = make_run(on=cutoffs[0], by=by)
    _upload(coop, run, [(coop["m"][0], 5000)])
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_agency_post_nothing(run=run, agency=coop["agencies"][0], by=by)
    assert exc.value.code == svc.E.WRONG_STATUS


def test_database_refuses_a_posted_batch_without_entry_that_realized_money(coop, cutoffs):
    from django.db import IntegrityError, transaction

    by = coop["by"]
    run = make_run(on=cutoffs[0], by=by)
    imp = _upload(coop, run, [(coop["m"][0], 5000)])
    with pytest.raises(IntegrityError), transaction.atomic():
        DeductionImport.objects.filter(pk=imp.pk).update(status="posted")


def test_unposted_earlier_lists_are_shown_on_the_next_run(coop, cutoffs):
    """A list never posted keeps its rupiah "out" (never asked twice); the next run's
    page and API name it with what it asks, until it is posted or recorded as nothing
    deducted."""
    by = coop["by"]
    prev, this = cutoffs
    run1 = make_run(on=prev, by=by)
    run2 = make_run(on=this, by=by)
    c = login(by)
    body = c.get(f"/api/v1/deductions/runs/{run2.pk}/").json()
    assert {u["code"] for u in body["unposted_earlier"]} == {"DISDIK", "DINKES"}
    page = c.get(f"/potong-gaji/{run2.pk}/").content.decode()
    assert 'id="unposted-earlier"' in page and run1.month_shown in page
    svc.deduction_agency_post_nothing(run=run1, agency=coop["agencies"][0], by=by)
    body = c.get(f"/api/v1/deductions/runs/{run2.pk}/").json()
    assert [u["code"] for u in body["unposted_earlier"]] == ["DINKES"]


def test_api_posts_a_file_of_zeros_when_confirmed_and_records_an_agency_without_file(coop, cutoffs):
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run = make_run(on=cutoffs[0], by=by)
    imp = _upload(coop, run, [(m1, 0), (m2, 0), (m3, 0)])
    c = login(by)
    r = c.post(f"/api/v1/deductions/imports/{imp.pk}/post/")
    assert r.status_code == 400 and r.json()["error"]["code"] == "deduction_nothing_to_post"
    r = c.post(
        f"/api/v1/deductions/imports/{imp.pk}/post/",
        {"nothing_deducted": True},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "posted" and body["nothing_deducted"] and body["posted_on"]
    r = c.post(
        f"/api/v1/deductions/runs/{run.pk}/nothing-deducted/",
        {"agency": coop["agencies"][1].pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["nothing_deducted"] and r.json()["entry"] is None


def test_api_without_agency_names_the_missing_field_in_words(coop, cutoffs):
    by = coop["by"]
    run = make_run(on=cutoffs[0], by=by)
    c = login(by)
    r = c.post(
        f"/api/v1/deductions/runs/{run.pk}/nothing-deducted/", {}, content_type="application/json"
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "deduction_nothing_to_post"
    assert err["message"] == "Kirim 'agency' (id instansi)."
    assert err["fields"] == {"agency": ["Wajib diisi."]}
    r = c.post(f"/api/v1/deductions/runs/{run.pk}/imports/", {"agency": coop["agencies"][0].pk})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"file": ["Wajib diisi."]}


def test_page_offers_nothing_deducted_once_the_only_money_is_in_an_excluded_row(coop, cutoffs):
    """The file's only money was cut from m3, who left (exit settled) after the upload:
    the posting marks m3's row as an error and it is excluded. The import's total then
    counts no row (it used to keep m3's amount: the page showed it and offered the
    normal posting, which books nothing), so the page asks "nothing deducted"."""
    from django.urls import reverse

    from core.exits.services import exit_settlement_confirm
    from core.members.models import Member

    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run = make_run(on=cutoffs[1], by=by)
    asked = DeductionLine.objects.get(run=run, member=m3).total
    imp = _upload(coop, run, [(m1, 0), (m2, 0), (m3, int(asked))])
    assert imp.status == "valid" and imp.total_realized == asked
    exit_settlement_confirm(
        member=m3, reason="retired", on=cutoffs[1], by=coop["staff"]["bendahara"]
    )
    assert Member.objects.get(pk=m3.pk).status == "retired"
    c = login(by)
    url = reverse("deductions:import", args=[imp.pk])
    r = c.post(url, {"action": "post", "on": cutoffs[1].isoformat(), "confirmed": "1"})
    assert r.status_code == 302
    imp.refresh_from_db()
    assert imp.status == "invalid" and [e["row"] for e in imp.errors] == [4]
    assert imp.total_realized == 0  # m3's row is an error now: it books nothing
    c.post(url, {"action": "exclude", "rows": "4"})
    imp.refresh_from_db()
    assert imp.status == "valid" and imp.excluded_rows == [4] and imp.total_realized == 0
    page = c.get(url).content.decode()
    assert "Catat: tidak ada potongan" in page
    assert "Posting sebagai satu batch" not in page
    r = c.post(url, {"action": "post", "nothing_deducted": "1", "confirmed": "1"})
    imp.refresh_from_db()
    assert imp.status == "posted" and imp.entry_id is None and imp.total_realized == 0
    assert_reconciled()


def test_screen_asks_then_records_nothing_deducted(coop, cutoffs):
    by = coop["by"]
    run = make_run(on=cutoffs[0], by=by)
    ag = coop["agencies"][1]
    c = login(by)
    assert "Tidak ada potongan bulan ini" in c.get(f"/potong-gaji/{run.pk}/").content.decode()
    r = c.post(f"/potong-gaji/{run.pk}/", {"nothing_deducted": "1", "agency": ag.pk})
    assert r.status_code == 200 and "Ya, catat tidak ada potongan" in r.content.decode()
    assert not DeductionImport.objects.filter(run=run, agency=ag).exists()
    r = c.post(
        f"/potong-gaji/{run.pk}/", {"nothing_deducted": "1", "agency": ag.pk, "confirmed": "1"}
    )
    imp = DeductionImport.objects.get(run=run, agency=ag)
    assert r.status_code == 302 and r.url.endswith(f"/impor/{imp.pk}/")
    assert imp.status == "posted" and imp.entry_id is None
    assert "Tidak ada potongan (tanpa jurnal)" in c.get(r.url).content.decode()


def test_screen_posts_a_file_of_zeros_as_nothing_deducted(coop, cutoffs):
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run = make_run(on=cutoffs[0], by=by)
    imp = _upload(coop, run, [(m1, 0), (m2, 0), (m3, 0)])
    c = login(by)
    url = f"/potong-gaji/impor/{imp.pk}/"
    assert "Catat: tidak ada potongan" in c.get(url).content.decode()
    data = {"action": "post", "nothing_deducted": "1"}
    r = c.post(url, data)
    assert r.status_code == 200 and "Ya, catat tidak ada potongan" in r.content.decode()
    c.post(url, {**data, "confirmed": "1"})
    imp.refresh_from_db()
    assert imp.status == "posted" and imp.entry_id is None
