"""A buku besar too long to write within a request (the savings-wajib control account of
a large KPRI over a year: hundreds of thousands of lines) is built in the background: the
treasurer is told it is being prepared, finds it on the buku besar page, downloads it;
failures show as failed with "coba lagi"; old files are deleted daily."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from openpyxl import load_workbook

from core.audit.models import AuditEvent
from core.ledger import exports as ledger_exports
from core.ledger import reports
from core.ledger.audit import LedgerAudit
from core.ledger.models import Account, LedgerExport
from core.ledger.services import LineSpec, journal_post, ledger_exports_cleanup
from core.ledger.tasks import ledger_exports_cleanup_task

D = Decimal
TOTAL_LABEL = "Jumlah mutasi / saldo akhir"


@pytest.fixture
def eager(monkeypatch):
    from lumbung.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _receipts(bendahara, on, n: int, each: str = "1000"):
    journal_post(
        on=on,
        description="Penerimaan lain-lain (banyak baris)",
        by=bendahara,
        source="other",
        lines=[
            LineSpec("1101", debit=D(each) * n),
            *(LineSpec("4301", credit=D(each), memo=f"baris {i}") for i in range(n)),
        ],
    )
    return Account.objects.get(code="4301")


def _url(acc, today, fmt="xlsx"):
    return (
        f"/buku-besar/akun/{acc.pk}/buku-besar/?date_from={today.replace(day=1).isoformat()}"
        f"&date_to={today.isoformat()}" + (f"&format={fmt}" if fmt else "")
    )


def _ask(client, acc, today, capture):
    """The page's XLSX button for a long range: a POST."""
    dates = {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
    with capture(execute=True):
        return client.post(f"/buku-besar/akun/{acc.pk}/buku-besar/berkas/", dates, follow=True)


def test_a_get_of_a_long_xlsx_queues_nothing(
    login, bendahara, today, settings, media, django_capture_on_commit_callbacks, monkeypatch
):
    """A GET must be safe (a link on another site can make the treasurer's browser send
    one): the XLSX link of a long range records no export and queues no task; it goes
    back to the page, which says to press XLSX there (a POST). Failed before: the GET
    recorded an export and queued its build."""
    from core.ledger.tasks import ledger_export_build_task

    queued = []
    monkeypatch.setattr(ledger_export_build_task, "delay", lambda pk: queued.append(pk))
    settings.LEDGER_XLSX_SYNC_MAX_LINES = 5
    acc = _receipts(bendahara, today, 6)
    c = login("bendahara")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.get(_url(acc, today), follow=True)
    assert r.status_code == 200 and "format=" not in r.redirect_chain[-1][0]
    assert not LedgerExport.objects.exists() and queued == []
    body = r.content.decode()
    assert "6 baris" in body and "Tekan XLSX di halaman ini" in body
    assert 'id="ledger-xlsx-request"' in body and 'method="post"' in body


def test_below_the_threshold_the_xlsx_downloads_at_once(login, bendahara, today, settings):
    settings.LEDGER_XLSX_SYNC_MAX_LINES = 30
    acc = _receipts(bendahara, today, 30)
    r = login("bendahara").get(_url(acc, today))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert not LedgerExport.objects.exists()


def test_above_the_threshold_the_xlsx_is_built_in_the_background_with_every_line(
    login, bendahara, today, settings, eager, media, django_capture_on_commit_callbacks
):
    settings.LEDGER_XLSX_SYNC_MAX_LINES = 30
    acc = _receipts(bendahara, today, 31, each="1000.50")
    c = login("bendahara")
    r = _ask(c, acc, today, django_capture_on_commit_callbacks)
    body = r.content.decode()
    assert r.redirect_chain and "format=" not in r.redirect_chain[-1][0]
    assert "31 baris" in body and "sedang disiapkan" in body
    export = LedgerExport.objects.get()
    assert export.status == "ready" and export.line_count == 31
    assert export.file.name.startswith(f"{connection.schema_name}/ledger/")
    assert AuditEvent.objects.filter(
        action=LedgerAudit.EXPORT_REQUEST, target_id=str(export.pk)
    ).exists()
    # the page lists it with a download link; the file holds every line
    page = c.get(_url(acc, today, fmt=None)).content.decode()
    link = f"/buku-besar/akun/{acc.pk}/buku-besar/berkas/{export.pk}/"
    assert link in page and "Siap" in page
    r = c.get(link)
    assert r.status_code == 200
    first, last = today.replace(day=1).isoformat(), today.isoformat()
    assert f'filename="buku-besar-4301-{first}-{last}.xlsx"' in r["Content-Disposition"]
    rows = list(
        load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True)
    )
    body_rows = [x for x in rows if x[2] and str(x[2]).startswith("Penerimaan lain-lain")]
    assert len(body_rows) == 31
    total = next(x for x in rows if x[2] == TOTAL_LABEL)
    ledger = reports.general_ledger(
        account=acc, date_from=today.replace(day=1), date_to=today, page=1
    )
    assert D(str(total[5])) == ledger["closing"] == D("31015.50")
    assert D(str(body_rows[-1][5])) == ledger["closing"]
    assert AuditEvent.objects.filter(
        action=LedgerAudit.EXPORT_DOWNLOAD, target_id=str(export.pk)
    ).exists()


def test_asking_again_while_one_is_under_way_starts_no_second(
    login, bendahara, today, settings, media, django_capture_on_commit_callbacks, monkeypatch
):
    from core.ledger.tasks import ledger_export_build_task

    queued = []
    monkeypatch.setattr(ledger_export_build_task, "delay", lambda pk: queued.append(pk))
    settings.LEDGER_XLSX_SYNC_MAX_LINES = 5
    acc = _receipts(bendahara, today, 6)
    c = login("bendahara")
    _ask(c, acc, today, django_capture_on_commit_callbacks)
    r = _ask(c, acc, today, django_capture_on_commit_callbacks)
    assert LedgerExport.objects.count() == 1 and len(queued) == 1
    body = r.content.decode()
    assert "masih disiapkan" in body and "Menunggu" in body
    # the database holds the rule too
    e = LedgerExport.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerExport.objects.create(
            account=e.account, date_from=e.date_from, date_to=e.date_to, requested_by=e.requested_by
        )


def test_a_stuck_export_does_not_block_asking_again(
    login, bendahara, today, settings, media, django_capture_on_commit_callbacks, monkeypatch
):
    from core.ledger.tasks import ledger_export_build_task

    monkeypatch.setattr(ledger_export_build_task, "delay", lambda pk: None)
    settings.LEDGER_XLSX_SYNC_MAX_LINES = 5
    acc = _receipts(bendahara, today, 6)
    c = login("bendahara")
    _ask(c, acc, today, django_capture_on_commit_callbacks)
    LedgerExport.objects.update(created_at=timezone.now() - timedelta(hours=2))
    _ask(c, acc, today, django_capture_on_commit_callbacks)
    assert sorted(LedgerExport.objects.values_list("status", flat=True)) == ["failed", "queued"]


def test_a_failed_build_is_marked_failed_and_shown_with_try_again(
    login,
    bendahara,
    today,
    settings,
    eager,
    media,
    django_capture_on_commit_callbacks,
    monkeypatch,
    caplog,
):
    def broken(table, target):
        raise OSError("disk full")

    real = ledger_exports.table_xlsx_write
    monkeypatch.setattr(ledger_exports, "table_xlsx_write", broken)
    settings.LEDGER_XLSX_SYNC_MAX_LINES = 5
    acc = _receipts(bendahara, today, 6)
    c = login("bendahara")
    _ask(c, acc, today, django_capture_on_commit_callbacks)
    export = LedgerExport.objects.get()
    assert export.status == "failed" and not export.file and "disk full" in export.error
    assert any(rec.levelname == "ERROR" and "failed" in rec.getMessage() for rec in caplog.records)
    page = c.get(_url(acc, today, fmt=None)).content.decode()
    assert "Gagal" in page and "coba lagi" in page
    assert f"/buku-besar/berkas/{export.pk}/" not in page
    assert c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/berkas/{export.pk}/").status_code == 404
    # asking again after a failure starts a new one
    monkeypatch.setattr(ledger_exports, "table_xlsx_write", real)
    _ask(c, acc, today, django_capture_on_commit_callbacks)
    assert LedgerExport.objects.count() == 2


def _ready_export(acc, user, today, media, **extra) -> LedgerExport:
    from django.core.files.base import ContentFile

    e = LedgerExport(account=acc, date_from=today, date_to=today, requested_by=user, **extra)
    e.status, e.finished_at, e.line_count = "ready", timezone.now(), 1
    e.file.save("x.xlsx", ContentFile(b"PK-not-really"), save=False)
    e.save()
    return e


def test_download_is_refused_to_a_member_and_to_those_who_do_not_see_it(
    login, bendahara, make_user, today, media
):
    acc = Account.objects.get(code="4301")
    e = _ready_export(acc, make_user("petugas"), today, media)
    url = f"/buku-besar/akun/{acc.pk}/buku-besar/berkas/{e.pk}/"
    assert login("anggota").get(url).status_code in (302, 403)
    assert login("petugas").get(url).status_code == 200  # the asker
    assert login("ketua").get(url).status_code == 404  # another user's, not an auditor
    assert login("pengawas").get(url).status_code == 200
    assert login("bendahara").get(url.replace(f"/{acc.pk}/", "/999999/")).status_code == 404
    assert login("bendahara").get(url.replace(f"/{e.pk}/", "/999999/")).status_code == 404


def test_another_cooperatives_export_is_not_found(
    login, tenant_a, tenant_b, bendahara, today, media
):
    from core.users.models import User

    acc_a = Account.objects.get(code="4301")
    connection.set_tenant(tenant_b)
    try:
        other = User.objects.create(username="b@ledger.test", role="bendahara")
        e = _ready_export(Account.objects.get(code="4301"), other, today, media)
        assert e.file.name.startswith(f"{tenant_b.schema_name}/")
    finally:
        connection.set_tenant(tenant_a)
    c = login("bendahara")
    assert not LedgerExport.objects.filter(pk=e.pk).exists()  # in cooperative A
    r = c.get(f"/buku-besar/akun/{acc_a.pk}/buku-besar/berkas/{e.pk}/")
    assert r.status_code == 404


def test_cleanup_deletes_old_exports_and_their_files_only(in_tenant_a, bendahara, today, media):
    acc = Account.objects.get(code="4301")
    old = _ready_export(acc, bendahara, today, media)
    new = _ready_export(acc, bendahara, today, media)
    LedgerExport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    old_path, new_path = old.file.path, new.file.path
    assert ledger_exports_cleanup() == 1
    assert list(LedgerExport.objects.values_list("pk", flat=True)) == [new.pk]
    import os

    assert not os.path.exists(old_path) and os.path.exists(new_path)
    assert ledger_exports_cleanup_task.run() == 0


def test_cleanup_is_a_daily_beat_entry_for_every_cooperative(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["ledger-exports-cleanup"]
    assert entry["task"] == "tenants.tasks.every_cooperative_task"
    assert entry["args"][0] == "core.ledger.tasks.ledger_exports_cleanup_task"


def test_database_refuses_a_reversed_range_and_an_unknown_status(in_tenant_a, today):
    acc = Account.objects.get(code="4301")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerExport.objects.create(account=acc, date_from=today, date_to=today - timedelta(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerExport.objects.create(account=acc, date_from=today, date_to=today, status="done")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerExport.objects.create(account=acc, date_from=today, date_to=today, status="ready")


def test_with_real_commits_the_task_runs_in_its_cooperative_from_one_snapshot(
    scratch_tenant, eager, settings, tmp_path
):
    """No wrapping test transaction: the request's commit queues the task, which runs in
    the cooperative's schema and reads the range in a REPEATABLE READ snapshot."""
    from core.ledger.services import ledger_export_request
    from core.users.models import User

    settings.MEDIA_ROOT = str(tmp_path / "media")
    today = timezone.localdate()
    connection.set_tenant(scratch_tenant)
    user = User.objects.get(email=f"admin@{scratch_tenant.slug}.test")
    acc = _receipts(user, today, 25)
    export, created = ledger_export_request(
        account=acc, date_from=today, date_to=today, line_count=25, by=user
    )
    assert created
    export.refresh_from_db()
    assert export.status == "ready" and export.line_count == 25
    assert export.file.name.startswith(f"{scratch_tenant.schema_name}/ledger/")
    rows = list(load_workbook(export.file.path).active.iter_rows(values_only=True))
    assert next(x for x in rows if x[2] == TOTAL_LABEL)[5] == 25000


def test_the_request_only_counts_lines_the_task_computes_the_head_once(
    login, bendahara, today, settings, media, django_capture_on_commit_callbacks, monkeypatch
):
    """Deciding between a file now and one in the background needs only the range's line
    count: the request runs no opening balance, totals or "has sen" query (sums over the
    balances table or the lines); the task computes those, once."""
    from django.test.utils import CaptureQueriesContext

    from core.ledger.tasks import ledger_export_build_task

    queued = []
    monkeypatch.setattr(ledger_export_build_task, "delay", lambda pk: queued.append(pk))
    settings.LEDGER_XLSX_SYNC_MAX_LINES = 5
    acc = _receipts(bendahara, today, 7, each="1000.50")
    c = login("bendahara")
    dates = {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/buku-besar/akun/{acc.pk}/buku-besar/berkas/", dates)
    assert r.status_code == 302 and len(queued) == 1
    export = LedgerExport.objects.get()
    assert export.line_count == 7 and export.status == "queued"
    ledger_sql = [q["sql"] for q in ctx.captured_queries if "ledger_" in q["sql"]]
    head = [q for q in ledger_sql if "sum(" in q.lower() or "trunc(" in q.lower()]
    assert head == [], head


def test_a_pdf_too_long_is_refused_from_the_line_count_alone(login, bendahara, today, settings):
    from django.test.utils import CaptureQueriesContext

    settings.LEDGER_PDF_MAX_LINES = 5
    acc = _receipts(bendahara, today, 7)
    with CaptureQueriesContext(connection) as ctx:
        r = login("bendahara").get(_url(acc, today, fmt="pdf"))
    assert r.status_code == 302 and "format=" not in r["Location"]
    head = [
        q["sql"]
        for q in ctx.captured_queries
        if "ledger_" in q["sql"] and ("sum(" in q["sql"].lower() or "trunc(" in q["sql"].lower())
    ]
    assert head == [], head
