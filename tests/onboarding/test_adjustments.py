"""The reconciliation's documented adjustment: per differing control account, with a
mandatory explanation and an optional document, posted as an entry dated the cut-over,
audited, shown in the reconciliation; then go-live is allowed; undo reverses it."""

import json
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import Account, JournalEntry
from core.ledger.selectors import account_balance
from core.onboarding.models import MoveInAdjustment
from core.onboarding.selectors import move_in_reconciliation
from core.onboarding.services import move_in_adjust, move_in_go_live, move_in_undo

PDF = b"%PDF-1.4\n%test\n"
REASON = "Selisih simpanan hasil audit 2025, berita acara pengawas no. 7"


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _row(rec, code):
    return next(r for r in rec["rows"] if r["account"] == code)


@pytest.mark.parametrize(
    "kw,field,words",
    [
        ({"explanation": "  "}, "explanation", "wajib diisi"),
        ({"account": "9999"}, "account", "bukan akun kontrol"),
        ({"account": "1103"}, "account", "sudah sama"),
        ({"amount": "300.000"}, "amount", "melebihi selisih"),
        ({"amount": "0"}, "amount", "lebih dari nol"),
        ({"amount": "1.5"}, "amount", ""),
        ({"offset_account": "3106"}, "offset_account", "pilih akun lawan lain"),
        ({"offset_account": "1103"}, "offset_account", "bukan akun kontrol"),
        ({"offset_account": "3"}, "offset_account", "akun rincian"),
        ({"offset_account": "NOPE"}, "offset_account", "tidak ada"),
        (
            {"document": SimpleUploadedFile("x.pdf", b"not a pdf")},
            "document",
            "bukan PDF",
        ),
    ],
)
def test_bad_adjustment_is_a_specific_error_nothing_written(moved, by, kw, field, words):
    args = {"account": "3101", "offset_account": "3103", "explanation": REASON} | kw
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        move_in_adjust(move_in=moved, by=by, **args)
    assert field in (e.value.fields or {}), e.value.fields
    assert words in e.value.message
    assert JournalEntry.objects.count() == entries
    assert not MoveInAdjustment.objects.exists()


def test_documented_adjustments_close_the_differences_and_allow_go_live(moved, by, cutover, _media):
    assert not move_in_reconciliation(move_in=moved)["agrees"]
    adj = move_in_adjust(
        move_in=moved,
        account="3101",
        offset_account="3103",
        explanation=REASON,
        document=SimpleUploadedFile("ba.pdf", PDF),
        by=by,
    )
    assert adj.amount == D("-200000") and adj.entry.date == cutover
    assert adj.entry.source == JournalEntry.Source.OPENING and adj.document.name
    # part of a difference, then the rest
    move_in_adjust(
        move_in=moved,
        account="3102",
        amount="500.000",
        offset_account="3103",
        explanation=REASON,
        by=by,
    )
    rec = move_in_reconciliation(move_in=moved)
    assert _row(rec, "3101")["difference"] == "0"
    assert _row(rec, "3101")["adjustment"] == "-200000"
    assert _row(rec, "3101")["adjustments"][0]["explanation"] == REASON
    assert _row(rec, "3102")["difference"] == "-2000000"
    with pytest.raises(ApplicationError) as e:
        move_in_go_live(move_in=moved, by=by)
    assert e.value.code == "onboarding_not_reconciled"
    move_in_adjust(move_in=moved, account="3102", offset_account="3103", explanation=REASON, by=by)
    move_in_adjust(move_in=moved, account="2101", offset_account="3103", explanation=REASON, by=by)
    assert move_in_reconciliation(move_in=moved)["agrees"]
    # the savings lines of the trial balance sat on the opening-balance equity: it is empty
    clearing = Account.objects.get(code="3106")
    assert account_balance(account=clearing, as_of=cutover) == 0
    assert AuditEvent.objects.filter(action="onboarding.adjustment").count() == 4
    assert move_in_go_live(move_in=moved, by=by).status == "live"
    with pytest.raises(ApplicationError) as e:  # final: no more adjustments
        move_in_adjust(move_in=moved, account="3101", explanation=REASON, by=by)
    assert e.value.code == "onboarding_wrong_state"


def test_undo_reverses_the_adjustments(moved, by, staff):
    adj = move_in_adjust(
        move_in=moved, account="3101", offset_account="3103", explanation=REASON, by=by
    )
    move_in_undo(move_in=moved, reason="ulang", by=staff["admin"])
    assert JournalEntry.objects.filter(reverses_id=adj.entry_id).exists()


def test_adjustment_by_api(moved, staff, _media):
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(staff["bendahara"])
    url = "/api/v1/onboarding/adjustments/"
    r = c.post(url, json.dumps({"account": "3101", "offset_account": "3103"}), "application/json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "onboarding_adjustment_invalid"
    assert "explanation" in r.json()["error"]["fields"]
    r = c.post(
        url,
        {
            "account": "3101",
            "offset_account": "3103",
            "explanation": REASON,
            "document": SimpleUploadedFile("ba.pdf", PDF),
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["adjustment"]["amount"] == "-200000"
    assert _row(body["reconciliation"], "3101")["difference"] == "0"
    c.force_login(staff["petugas"])
    r = c.post(url, json.dumps({"account": "3102", "explanation": REASON}), "application/json")
    assert r.status_code == 403
