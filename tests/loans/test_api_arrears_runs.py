"""The arrears/PPAP runs over the API (``/api/v1/loans/arrears-runs/``): the list and a
run with its per-loan grade snapshot, read by every staff role; a run made by bendahara or
admin as of today or a past open month's last day through the screen's own service
(``arrears_asof.loans_arrears_run``), its refusals in the one JSON error shape, and
``Idempotency-Key`` honoured."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.audit.models import AuditEvent
from core.common.db_busy import DEADLOCK, DatabaseBusy
from core.common.models import IdempotencyKey
from core.ledger.models import JournalEntry, Period
from core.loans import api_arrears
from core.loans.arrears import loans_arrears_update
from core.loans.models import ArrearsRun, LoanGradeSnapshot
from core.loans.services import loan_repay, loan_repayment_reverse
from tests.loans.conftest import month_close_as_treasurer
from tests.loans.test_arrears_as_of import _month_end_before, book  # noqa: F401 (fixture)
from tests.members import factories as f

URL = "/api/v1/loans/arrears-runs/"


def _post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, body, content_type="application/json", **headers)


def _written() -> tuple[int, int, int]:
    return (
        ArrearsRun.objects.count(),
        LoanGradeSnapshot.objects.count(),
        JournalEntry.objects.filter(source="loan", source_ref__startswith="ppap:").count(),
    )


def _nothing_written(before: tuple[int, int, int] = (0, 0, 0)):
    assert _written() == before


# --- making a run -----------------------------------------------------------------------


def test_post_as_of_a_past_month_end_runs_the_screens_service(book, staff, login, today):  # noqa: F811
    d = book[0]
    r = _post(login(staff["bendahara"]), {"on": d.isoformat()})

    assert r.status_code == 201, r.content
    body = r.json()
    run = ArrearsRun.objects.get()
    assert body["id"] == run.pk and body["on"] == d.isoformat()
    assert body["kind"] == "as_of" and body["loans"] == 3
    assert body["made_by"] == staff["bendahara"].get_username()
    assert body["made_by_id"] == staff["bendahara"].pk
    assert D(body["ppap_before"]) == 0 and D(body["ppap_after"]) == run.ppap_after > 0
    # the allowance posted as of D, and turned back today
    assert body["entry"]["id"] == run.entry_id and body["entry"]["date"] == d.isoformat()
    back = JournalEntry.objects.get(source_ref=f"ppap:{run.pk}:back")
    assert body["reversing_entry"]["id"] == back.pk
    assert body["reversing_entry"]["date"] == today.isoformat()
    assert body["grades"].endswith(f"{URL}{run.pk}/grades/")
    assert LoanGradeSnapshot.objects.filter(on=d).count() == 3
    event = AuditEvent.objects.get(action="loan.arrears.run", target_id=str(run.pk))
    assert event.actor == staff["bendahara"]


def test_post_without_a_date_is_todays_daily_run(book, staff, login, today):  # noqa: F811
    r = _post(login(staff["admin"]), {})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["on"] == today.isoformat() and body["kind"] == "daily"
    assert body["reversing_entry"] is None
    late = book[2]
    late.refresh_from_db()
    assert late.kolektibilitas != "lancar"


@pytest.mark.parametrize(
    "case", ["future", "not_month_end", "month_closed", "not_a_date", "year_out_of_range"]
)
def test_post_refusals_answer_their_code_and_field_and_write_nothing(
    book,  # noqa: F811
    staff,
    login,
    today,
    case,
):
    d = book[0]
    code, status = "loan_arrears_date_invalid", 400
    if case == "future":
        on = (today + timedelta(days=1)).isoformat()
    elif case == "not_month_end":
        on = (d - timedelta(days=1)).isoformat()
    elif case == "month_closed":
        # as the treasurer closes it (December, from January on, after its arrears run)
        month_close_as_treasurer(period=Period.objects.get(end_date=d), by=staff["bendahara"])
        on, code = d.isoformat(), "loan_arrears_period_closed"
    elif case == "not_a_date":
        on, code = "31-12-2026", "validation_error"
    else:
        on, code = "0001-01-31", "date_out_of_range"
    before = _written()  # the month-closed case's December close made its run first
    r = _post(login(staff["bendahara"]), {"on": on})
    assert r.status_code == status, r.content
    error = r.json()["error"]
    assert error["code"] == code and set(error) == {"code", "message", "fields"}
    assert list(error["fields"]) == ["on"] and error["fields"]["on"]
    _nothing_written(before)


def test_post_refuses_a_day_it_cannot_read_back_naming_the_loans(book, staff, login, today):  # noqa: F811
    d, very_late, late, current = book
    rep = loan_repay(loan=late, amount=D(100_000), by=staff["petugas"], on=d)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah input", on=today)

    r = _post(login(staff["bendahara"]), {"on": d.isoformat()})

    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "loan_arrears_as_of_unreadable"
    assert late.number in error["message"] and "Tidak ada yang ditulis" in error["message"]
    # every loan it cannot read back, by number, with why
    assert list(error["fields"]) == ["loans"]
    assert len(error["fields"]["loans"]) == 1
    assert error["fields"]["loans"][0].startswith(f"{late.number}: ")
    assert "dibatalkan sesudahnya" in error["fields"]["loans"][0]
    _nothing_written()


@pytest.mark.parametrize("role", ["ketua", "petugas", "pengawas"])
def test_only_treasurer_or_admin_may_make_a_run(book, staff, login, role):  # noqa: F811
    r = _post(login(staff[role]), {"on": book[0].isoformat()})
    assert r.status_code == 403, r.content
    assert r.json()["error"]["code"] == "permission_denied"
    _nothing_written()


def test_a_member_reads_no_runs(book, login):  # noqa: F811
    assert login(f.user("anggota")).get(URL).status_code == 403


# --- reading runs -----------------------------------------------------------------------


def test_list_answers_a_page_of_runs_with_kind_who_allowance_and_entries(
    book,  # noqa: F811
    staff,
    login,
    today,
):
    d = book[0]
    daily = loans_arrears_update(on=today)  # the background job (no person)
    assert _post(login(staff["bendahara"]), {"on": d.isoformat()}).status_code == 201
    as_of = ArrearsRun.objects.exclude(pk=daily.pk).get()

    r = login(staff["pengawas"]).get(URL, {"page_size": 1})

    assert r.status_code == 200, r.content
    page = r.json()
    assert page["count"] == 2 and page["next"] and page["previous"] is None
    (first,) = page["results"]
    # latest date first, as the screen lists them
    assert first["id"] == daily.pk and first["kind"] == "daily"
    assert first["made_by"] == "system" and first["made_by_id"] is None
    assert first["on"] == today.isoformat() and first["loans"] == daily.loans
    assert D(first["ppap_before"]) == daily.ppap_before
    assert D(first["ppap_after"]) == daily.ppap_after
    assert (first["entry"] or {}).get("id") == daily.entry_id
    second = login(staff["pengawas"]).get(page["next"]).json()["results"][0]
    assert second["id"] == as_of.pk and second["kind"] == "as_of"
    assert second["made_by"] == staff["bendahara"].get_username()
    assert second["entry"]["id"] == as_of.entry_id and second["reversing_entry"]["id"]


def test_a_runs_grades_are_its_snapshot_paginated(book, staff, login):  # noqa: F811
    d, very_late, late, current = book
    c = login(staff["bendahara"])
    run_id = _post(c, {"on": d.isoformat()}).json()["id"]

    detail = login(staff["pengawas"]).get(f"{URL}{run_id}/")
    assert detail.status_code == 200, detail.content
    grades_url = detail.json()["grades"]
    page = login(staff["pengawas"]).get(grades_url, {"page_size": 2})

    assert page.status_code == 200, page.content
    body = page.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    rows = body["results"] + login(staff["pengawas"]).get(body["next"]).json()["results"]
    by_loan = {row["loan"]: row for row in rows}
    assert set(by_loan) == {very_late.pk, late.pk, current.pk}
    for s in LoanGradeSnapshot.objects.filter(on=d).select_related("loan__member"):
        row = by_loan[s.loan_id]
        assert row["loan_number"] == s.loan.number
        assert row["member_number"] == s.loan.member.number
        assert row["kolektibilitas"] == s.kolektibilitas
        assert row["days_past_due"] == s.days_past_due
        assert D(row["principal_outstanding"]) == s.principal_outstanding
        assert D(row["ppap_amount"]) == s.ppap_amount
        assert row["restructured"] is s.restructured
    assert by_loan[very_late.pk]["kolektibilitas"] == "macet"


def test_grades_a_run_does_not_hold_are_refused_saying_why(book, staff, login, today):  # noqa: F811
    d = book[0]
    c = login(staff["bendahara"])
    first = _post(c, {"on": d.isoformat()}).json()["id"]
    second = _post(c, {"on": d.isoformat()}).json()["id"]

    # made again as of the same day: the snapshot is the later run's
    detail = c.get(f"{URL}{first}/").json()
    assert detail["grades"] is None and str(second) in detail["grades_note"]
    r = c.get(f"{URL}{first}/grades/")
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "loan_arrears_run_grades_unavailable"
    assert f"No. {second}" in error["message"]
    assert c.get(f"{URL}{second}/grades/").status_code == 200

    if (today + timedelta(days=1)).day != 1:  # a daily run not on a month's last day
        daily = _post(c, {}).json()
        assert daily["grades"] is None and "akhir bulan" in daily["grades_note"]
        r = c.get(f"{URL}{daily['id']}/grades/")
        assert r.status_code == 409 and "akhir bulan" in r.json()["error"]["message"]


def test_an_unknown_run_is_a_404(staff, login):
    r = login(staff["pengawas"]).get(f"{URL}999999/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


# --- Idempotency-Key --------------------------------------------------------------------


def test_a_run_retried_with_the_same_key_runs_once(book, staff, login):  # noqa: F811
    c = login(staff["bendahara"])
    body = {"on": book[0].isoformat()}
    first = _post(c, body, key="ppap-des")
    entries = JournalEntry.objects.count()
    again = _post(c, body, key="ppap-des")
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert ArrearsRun.objects.count() == 1 and JournalEntry.objects.count() == entries


def test_a_refused_run_retried_with_the_same_key_is_answered_the_same_refusal(
    book,  # noqa: F811
    staff,
    login,
    monkeypatch,
):
    c = login(staff["bendahara"])
    body = {"on": (book[0] - timedelta(days=1)).isoformat()}
    refused = _post(c, body, key="ppap-salah")
    assert refused.status_code == 400, refused.content

    calls = []
    real = api_arrears.loans_arrears_run
    monkeypatch.setattr(
        api_arrears, "loans_arrears_run", lambda **kw: calls.append(kw) or real(**kw)
    )
    again = _post(c, body, key="ppap-salah")

    assert again.status_code == 400 and again.content == refused.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in refused
    assert calls == []  # the service did not run again
    _nothing_written()


def test_a_run_the_database_was_too_busy_for_runs_on_its_retry(book, staff, login, monkeypatch):  # noqa: F811
    c = login(staff["bendahara"])
    body = {"on": book[0].isoformat()}
    real = api_arrears.loans_arrears_run

    def busy(**kw):
        real(**kw)  # written, then the database ends the transaction
        raise DatabaseBusy(DEADLOCK)

    monkeypatch.setattr(api_arrears, "loans_arrears_run", busy)
    first = _post(c, body, key="ppap-sibuk")
    assert first.status_code == 503 and first.json()["error"]["code"] == "database_busy"
    assert not IdempotencyKey.objects.exists()
    _nothing_written()

    monkeypatch.setattr(api_arrears, "loans_arrears_run", real)
    retried = _post(c, body, key="ppap-sibuk")
    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert ArrearsRun.objects.count() == 1


# --- filters and the stored kind -----------------------------------------------------------


def test_list_filters_runs_by_their_date(book, staff, login, today):  # noqa: F811
    d = book[0]
    daily = loans_arrears_update(on=today)
    assert _post(login(staff["bendahara"]), {"on": d.isoformat()}).status_code == 201
    as_of = ArrearsRun.objects.exclude(pk=daily.pk).get()
    c = login(staff["pengawas"])

    ids = lambda r: [x["id"] for x in r.json()["results"]]  # noqa: E731
    r = c.get(URL, {"date_from": today.isoformat()})
    assert r.status_code == 200 and ids(r) == [daily.pk]
    r = c.get(URL, {"date_to": d.isoformat()})
    assert r.status_code == 200 and ids(r) == [as_of.pk]
    r = c.get(URL, {"date_from": d.isoformat(), "date_to": today.isoformat()})
    assert ids(r) == [daily.pk, as_of.pk]
    r = c.get(URL, {"date_from": (d + timedelta(days=1)).isoformat(), "date_to": d.isoformat()})
    assert r.status_code == 200 and ids(r) == []

    bad = c.get(URL, {"date_from": "31-12-2026"})
    assert bad.status_code == 400, bad.content
    assert "date_from" in bad.json()["error"]["fields"]


def test_list_filters_runs_by_kind(book, staff, login, today):  # noqa: F811
    d = book[0]
    daily = loans_arrears_update(on=today)
    assert _post(login(staff["bendahara"]), {"on": d.isoformat()}).status_code == 201
    c = login(staff["pengawas"])
    r = c.get(URL, {"kind": "daily"})
    assert [x["id"] for x in r.json()["results"]] == [daily.pk]
    bad = c.get(URL, {"kind": "yearly"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["fields"]


def test_grades_filter_by_grade(book, staff, login):  # noqa: F811
    d, very_late, late, current = book
    c = login(staff["bendahara"])
    run_id = _post(c, {"on": d.isoformat()}).json()["id"]
    url = f"{URL}{run_id}/grades/"

    r = c.get(url, {"grade": "macet"})
    assert r.status_code == 200, r.content
    assert [x["loan"] for x in r.json()["results"]] == [very_late.pk]
    lancar = c.get(url, {"grade": "lancar"}).json()["results"]
    assert {x["loan"] for x in lancar} == set(
        LoanGradeSnapshot.objects.filter(on=d, kolektibilitas="lancar").values_list(
            "loan_id", flat=True
        )
    )
    bad = c.get(url, {"grade": "bad"})
    assert bad.status_code == 400, bad.content
    assert "grade" in bad.json()["error"]["fields"]
    assert "macet" in bad.json()["error"]["fields"]["grade"][0]


def test_a_runs_kind_is_stored_on_the_run(book, staff, login, today):  # noqa: F811
    d = book[0]
    daily = loans_arrears_update(on=today)
    assert _post(login(staff["bendahara"]), {"on": d.isoformat()}).status_code == 201
    assert ArrearsRun.objects.get(pk=daily.pk).kind == "daily"
    assert ArrearsRun.objects.exclude(pk=daily.pk).get().kind == "as_of"
    # the API reads the column, not the audit row (nor the dates)
    ArrearsRun.objects.filter(pk=daily.pk).update(kind="as_of")
    kinds = {x["id"]: x["kind"] for x in login(staff["pengawas"]).get(URL).json()["results"]}
    assert kinds[daily.pk] == "as_of"


def test_the_schema_documents_the_kind_and_the_filters(staff, login):
    schema = login(staff["pengawas"]).get("/api/schema/", {"format": "json"}).json()
    list_params = {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}
    assert {"date_from", "date_to", "kind"} <= list_params
    grades = schema["paths"][f"{URL}{{id}}/grades/"]["get"]["parameters"]
    grade = next(p for p in grades if p["name"] == "grade")
    assert "macet" in grade["schema"]["enum"]
    props = schema["components"]["schemas"]["ArrearsRun"]["properties"]
    assert "kind" in props
