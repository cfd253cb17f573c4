"""Why a background buku besar XLSX failed is said on the buku besar page in the
reader's language: the daily clean-up (in the background, Indonesian) marks a stuck
export failed and the build marks a broken one failed, each keeping a code
(``LedgerExport.error_code``) beside the text, and the page renders the code (English:
"Not finished in time", not "Tidak selesai dalam batas waktu"). A build's technical
error stays in ``error`` for the logs, not on the page. An export failed before codes
shows the text it stored."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from core.ledger import exports as ledger_exports
from core.ledger.models import Account, LedgerExport
from core.ledger.services import LineSpec, journal_post, ledger_export_build, ledger_exports_cleanup

D = Decimal
STALE_ID = "Tidak selesai dalam batas waktu"
STALE_EN = "Not finished in time"
BROKEN_ID = "Kesalahan sistem saat membuat berkas"
BROKEN_EN = "A system error while writing the file"


@pytest.fixture
def account(bendahara, today):
    journal_post(
        on=today,
        description="Penerimaan lain-lain",
        by=bendahara,
        source="other",
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("4301", credit=D("1000"))],
    )
    return Account.objects.get(code="4301")


def _export(account, user, today, **extra) -> LedgerExport:
    return LedgerExport.objects.create(
        account=account, date_from=today, date_to=today, requested_by=user, **extra
    )


def _status_cell(login, account, today, lang: str) -> str:
    c = login("bendahara")
    c.cookies["django_language"] = lang
    page = c.get(
        f"/buku-besar/akun/{account.pk}/buku-besar/?date_from={today.isoformat()}"
        f"&date_to={today.isoformat()}"
    ).content.decode()
    return page.split('class="ledger-exports"', 1)[1].split("</section>", 1)[0]


def test_a_stuck_export_is_said_in_the_readers_language(login, bendahara, account, today):
    e = _export(account, bendahara, today)
    LedgerExport.objects.filter(pk=e.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with translation.override("id"):  # the daily clean-up
        ledger_exports_cleanup()
    e.refresh_from_db()
    assert e.status == "failed" and e.error_code == "stale" and STALE_ID in e.error
    en = _status_cell(login, account, today, "en")
    assert STALE_EN in en and STALE_ID not in en, en
    id_ = _status_cell(login, account, today, "id")
    assert STALE_ID in id_ and STALE_EN not in id_, id_


def test_a_broken_build_is_said_without_its_technical_error(
    login, bendahara, account, today, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def broken(table, target):
        raise OSError("disk full")

    monkeypatch.setattr(ledger_exports, "table_xlsx_write", broken)
    e = ledger_export_build(export=_export(account, bendahara, today))
    assert e.status == "failed" and e.error_code == "build_failed" and "disk full" in e.error
    en = _status_cell(login, account, today, "en")
    assert BROKEN_EN in en and "disk full" not in en and BROKEN_ID not in en, en
    id_ = _status_cell(login, account, today, "id")
    assert BROKEN_ID in id_ and "disk full" not in id_, id_


def test_an_export_failed_before_codes_shows_its_stored_text(login, bendahara, account, today):
    old = "Tidak selesai dalam batas waktu (pesan antrean hilang atau worker berhenti)."
    _export(account, bendahara, today, status="failed", finished_at=timezone.now(), error=old)
    assert old in _status_cell(login, account, today, "en")
