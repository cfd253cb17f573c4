"""An upload is filed under the cooperative's own month (Asia/Jakarta), not UTC's: a file
sent at 01:30 WIB on 1 April is under ``…/2026/04/``, where UTC still says 31 March."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from core.common import uploads

# 1 April 2026, 01:30 in Jakarta (UTC+7): still 31 March in UTC
EARLY_ON_THE_FIRST = datetime(2026, 3, 31, 18, 30, tzinfo=UTC)


@pytest.fixture
def early_on_the_first(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: EARLY_ON_THE_FIRST)


@pytest.mark.parametrize(
    "path_of",
    [uploads.loan_document_path, uploads.onboarding_document_path, uploads.ledger_export_path],
)
def test_a_file_sent_early_on_the_first_is_filed_under_the_local_month(early_on_the_first, path_of):
    assert timezone.localdate() == date(2026, 4, 1)
    path = path_of(None, "bukti.PDF")
    assert "/2026/04/" in path and path.endswith(".pdf"), path


def test_a_payment_proof_sent_early_on_the_first_is_filed_under_the_local_month(
    early_on_the_first,
):
    proof = SimpleNamespace(
        invoice=SimpleNamespace(
            subscription=SimpleNamespace(cooperative=SimpleNamespace(schema_name="coop_x"))
        )
    )
    path = uploads.payment_proof_path(proof, "transfer.jpg")
    assert path.startswith("coop_x/billing/proofs/2026/04/"), path


def test_the_path_follows_the_cooperative_s_today(today_is):
    today_is(date(2027, 2, 1))
    assert "/2027/02/" in uploads.loan_document_path(None, "a.pdf")
