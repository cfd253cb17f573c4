"""A transient conflict with another transaction (``core.common.db_busy``: a deadlock,
a serialization failure, a lock timeout) reaches nobody as a server error: the API
answers its one JSON error ``database_busy`` (503, ``Retry-After``), a page says someone
else was changing the same data, nothing was saved, and sends the person back to their
form (whose key is given back, so sending it again records it once), a Celery task is
retried; each is logged at WARNING with its SQLSTATE and where. Nothing is written.

The conflicts are real: another clerk's transaction on a connection of its own
(``tests.concurrency.Deadlock``) holds the posting's month row, as a month close does,
and asks for the fiscal year's row the posting holds (its number counter) once the
posting waits for the month: PostgreSQL ends the posting with 40P01. Without the
handling each answer here was a 500 (the API's JSON ``server_error``, Django's error
page) and the task failed."""

import logging
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test import Client
from django.utils import timezone

from core.common.db_busy import (
    DEADLOCK,
    LOCK_NOT_AVAILABLE,
    SERIALIZATION_FAILURE,
    db_busy_error,
    db_busy_sqlstate,
)
from core.common.models import IdempotencyKey
from core.common.submission import FIELD as SUBMISSION
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from lumbung.celery import app
from tenants.services import tenant_host
from tests.concurrency import Deadlock, clerk_connection
from tests.members import factories as f

BUSY_MESSAGE = "Data yang sama sedang diubah oleh pengguna lain pada saat yang sama."
MONTH_LOCK = "SELECT 1 FROM ledger_period WHERE start_date <= %s AND %s <= end_date FOR UPDATE"
YEAR_LOCK = "SELECT 1 FROM ledger_fiscalyear WHERE year = %s FOR UPDATE"


def _month_two_back() -> date:
    today = timezone.localdate()
    n = today.year * 12 + today.month - 1 - 2
    return date(n // 12, n % 12 + 1, 15)


class Books:
    """A cooperative whose writes commit, its fiscal years up to a day two months back,
    a treasurer; ``deadlock()``: the clerk who holds that day's month and then wants its
    year."""

    def __init__(self, tenant):
        connection.set_tenant(tenant)
        self.tenant, self.on = tenant, _month_two_back()
        for year in range(timezone.localdate().year, self.on.year - 1, -1):
            fiscal_year_ensure(year=year)
        self.by = f.user("bendahara")

    def deadlock(self) -> Deadlock:
        return Deadlock(
            self.tenant,
            first=(MONTH_LOCK, [self.on, self.on]),
            second=(YEAR_LOCK, [self.on.year]),
        )

    def post(self, ref: str = ""):
        return journal_post(
            on=self.on,
            description="Setoran tunai",
            lines=[LineSpec("1101", debit=D("250000")), LineSpec("3106", credit=D("250000"))],
            source_ref=ref,
            by=self.by,
        )

    def written(self) -> tuple[int, int]:
        """Entries in the books, and the year's number counter."""
        return (
            JournalEntry.objects.count(),
            FiscalYear.objects.get(year=self.on.year).last_number,
        )

    def client(self) -> Client:
        c = Client(HTTP_HOST=tenant_host(self.tenant.slug))
        c.force_login(self.by)
        return c


def _busy_logged(caplog, where: str) -> None:
    found = [
        r.getMessage()
        for r in caplog.records
        if r.name == "core.common.db_busy" and r.levelno == logging.WARNING
    ]
    assert any(DEADLOCK in m and where in m for m in found), found


# ----------------------------------------------------------------- the classification


def test_a_real_deadlock_is_classified_and_writes_nothing(scratch_tenant):
    books = Books(scratch_tenant)
    before = books.written()
    out = books.deadlock().run(books.post)
    err = out.get("error")
    assert isinstance(err, OperationalError), out
    assert db_busy_sqlstate(err) == DEADLOCK
    assert db_busy_error(err, where="test").code == "database_busy"
    assert books.written() == before


def test_a_real_lock_timeout_and_serialization_failure_are_classified(scratch_tenant):
    books = Books(scratch_tenant)
    period = Period.objects.get(start_date__lte=books.on, end_date__gte=books.on)
    clerk = clerk_connection(scratch_tenant)
    try:
        cur = clerk.cursor()
        cur.execute("SELECT 1 FROM ledger_period WHERE id = %s FOR UPDATE", [period.pk])
        with pytest.raises(OperationalError) as timeout, transaction.atomic():
            with connection.cursor() as mine:
                mine.execute("SET LOCAL lock_timeout = '100ms'")
            Period.objects.select_for_update().get(pk=period.pk)
        assert db_busy_sqlstate(timeout.value) == LOCK_NOT_AVAILABLE
        clerk.rollback()
        with pytest.raises(OperationalError) as serial, transaction.atomic():
            with connection.cursor() as mine:
                mine.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            Period.objects.get(pk=period.pk)  # the snapshot is taken
            cur.execute("UPDATE ledger_period SET closed_at = NULL WHERE id = %s", [period.pk])
            clerk.commit()
            Period.objects.filter(pk=period.pk).update(closed_at=None)
        assert db_busy_sqlstate(serial.value) == SERIALIZATION_FAILURE
        # the driver's own error (a raw cursor, as the COPY of a big entry uses)
        assert db_busy_sqlstate(serial.value.__cause__) == SERIALIZATION_FAILURE
    finally:
        clerk.close()


def test_other_database_errors_are_not_busy(scratch_tenant):
    books = Books(scratch_tenant)
    with pytest.raises(IntegrityError) as e, transaction.atomic():
        FiscalYear.objects.create(
            year=books.on.year, start_date=date(books.on.year, 1, 1), end_date=books.on
        )
    assert db_busy_sqlstate(e.value) is None
    assert db_busy_error(e.value, where="test") is None
    assert db_busy_error(ValueError("x"), where="test") is None


# ------------------------------------------------------------------------------ the API


def _api_post(client, books, **headers):
    return client.post(
        "/api/v1/ledger/entries/",
        {
            "date": books.on.isoformat(),
            "description": "Setoran tunai",
            "lines": [
                {"account": "1101", "debit": "250000"},
                {"account": "3106", "credit": "250000"},
            ],
        },
        content_type="application/json",
        **headers,
    )


def test_the_api_answers_a_deadlock_as_database_busy_and_writes_nothing(scratch_tenant, caplog):
    books = Books(scratch_tenant)
    client = books.client()
    before = books.written()
    with caplog.at_level(logging.WARNING, logger="core.common.db_busy"):
        out = books.deadlock().run(lambda: _api_post(client, books))
    resp = out["value"]
    assert resp.status_code == 503, resp.content
    assert resp["Retry-After"] == "2"
    error = resp.json()["error"]
    assert error["code"] == "database_busy"
    assert error["message"].startswith(BUSY_MESSAGE)
    assert "coba lagi" in error["message"]
    assert books.written() == before
    _busy_logged(caplog, "POST /api/v1/ledger/entries/")
    # sent again once the other clerk is done: it goes through, once
    again = _api_post(client, books)
    assert again.status_code == 201, again.content
    assert books.written() == (before[0] + 1, before[1] + 1)


def test_an_idempotent_post_ended_by_a_deadlock_keeps_no_key_and_its_retry_runs(scratch_tenant):
    """The request's own transaction (key row and all) goes whole: the retry with the
    same key is not answered with a kept 503 nor refused as in progress; it posts."""
    books = Books(scratch_tenant)
    client = books.client()
    before = books.written()
    key = {"HTTP_IDEMPOTENCY_KEY": "setoran-1"}
    out = books.deadlock().run(lambda: _api_post(client, books, **key))
    resp = out["value"]
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "database_busy"
    assert books.written() == before
    assert not IdempotencyKey.objects.exists()
    again = _api_post(client, books, **key)
    assert again.status_code == 201, again.content
    assert "Idempotent-Replayed" not in again
    assert books.written() == (before[0] + 1, before[1] + 1)
    replay = _api_post(client, books, **key)
    assert replay["Idempotent-Replayed"] == "true"
    assert books.written() == (before[0] + 1, before[1] + 1)


# ------------------------------------------------------------------------------ the page


def test_the_page_says_busy_nothing_saved_and_the_form_sent_again_is_recorded(
    scratch_tenant, caplog
):
    books = Books(scratch_tenant)
    client = books.client()
    before = books.written()
    form = {
        SUBMISSION: "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0",
        "date": books.on.isoformat(),
        "description": "Setoran tunai",
        "account_0": "1101",
        "debit_0": "250.000",
        "account_1": "3106",
        "credit_1": "250.000",
    }
    with caplog.at_level(logging.WARNING, logger="core.common.db_busy"):
        out = books.deadlock().run(lambda: client.post("/buku-besar/jurnal/baru/", form))
    resp = out["value"]
    assert resp.status_code == 503
    assert resp["Retry-After"] == "2"
    page = resp.content.decode()
    assert "Data sedang diubah pengguna lain" in page
    assert BUSY_MESSAGE in page and "Tidak ada yang disimpan" in page
    assert "data-back" in page  # back to the filled-in form the browser kept
    assert books.written() == before
    _busy_logged(caplog, "POST /buku-besar/jurnal/baru/")
    # the same form (same key) sent again: recorded, once (not "already sent")
    again = client.post("/buku-besar/jurnal/baru/", form)
    assert again.status_code == 302, again.content
    entry = JournalEntry.objects.get()
    assert again["Location"].endswith(f"/buku-besar/jurnal/{entry.pk}/")
    assert books.written() == (before[0] + 1, before[1] + 1)
    third = client.post("/buku-besar/jurnal/baru/", form)
    assert third.status_code == 302 and JournalEntry.objects.count() == before[0] + 1


# ------------------------------------------------------------------------------ the task

_probe_runs: list[int] = []


@app.task(name="tests.core.test_db_busy.busy_probe", bind=True)
def busy_probe(self, on: str, user_id: int) -> int:
    _probe_runs.append(self.request.retries)
    from core.users.models import User

    entry = journal_post(
        on=date.fromisoformat(on),
        description="Setoran tunai (tugas)",
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
        by=User.objects.get(pk=user_id),
    )
    return entry.pk


def test_a_task_ended_by_a_deadlock_is_retried_and_posts_once(scratch_tenant, caplog):
    books = Books(scratch_tenant)
    before = books.written()
    _probe_runs.clear()
    with caplog.at_level(logging.WARNING, logger="core.common.db_busy"):
        out = books.deadlock().run(
            # as a worker runs it: a retry is handled, not raised to the caller (eager
            # mode raises it when errors propagate)
            lambda: busy_probe.apply(args=(books.on.isoformat(), books.by.pk), throw=False)
        )
    result = out.get("value")
    assert result is not None, out
    assert result.successful(), result.traceback
    assert _probe_runs == [0, 1]  # ended once by the deadlock, then ran again
    assert JournalEntry.objects.get().pk == result.result
    assert books.written() == (before[0] + 1, before[1] + 1)
    _busy_logged(caplog, "task tests.core.test_db_busy.busy_probe")
