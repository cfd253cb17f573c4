"""Control characters in what the move-in wizard takes as typed text without a form or
a serializer: the adjustment's explanation (multi-line) and the mapping of unknown
trial-balance accounts (the screen's text, one mapping a line; the API's ``mappings``
and ``creations``, each text on one line). Refused by the service that takes them, the
error naming the field in Indonesian, nothing written: no entry, no adjustment, no new
account, no kept preview (core.common.text)."""

import json

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import Account, JournalEntry
from core.onboarding.models import MoveInAdjustment
from core.onboarding.services import move_in_adjust, trial_balance_post, trial_balance_preview

from .helpers import nothing_to_confirm, tb_rows
from .test_api import login
from .test_screens import csv_file

EXPLANATION = "Penjelasan tidak boleh berisi karakter kontrol (tak terlihat)."
MAPPING = "Pemetaan akun tidak boleh berisi karakter kontrol (tak terlihat)."
MAPPING_ONE_LINE = "Pemetaan akun harus satu baris: tidak boleh berisi baris baru atau tab."
CREATION = "Akun baru tidak boleh berisi karakter kontrol (tak terlihat)."
ADJUST = {"account": "3101", "offset_account": "3103"}
TB_API = "/api/v1/onboarding/trial-balance/"


# ------------------------------------------------------------------ the explanation


@pytest.mark.parametrize("bad", ["Selisih\x01audit", "Selisih\x0baudit", "Selisih audit\x7f"])
def test_adjustment_refuses_a_control_character_in_the_explanation(moved, by, bad):
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        move_in_adjust(move_in=moved, by=by, explanation=bad, **ADJUST)
    assert e.value.code == "validation_error"
    assert e.value.fields == {"explanation": [EXPLANATION]}
    assert JournalEntry.objects.count() == entries
    assert not MoveInAdjustment.objects.exists()


def test_an_explanation_on_several_lines_is_kept(moved, by):
    text = "Selisih hasil audit 2025:\r\n\tberita acara pengawas no. 7"
    adj = move_in_adjust(move_in=moved, by=by, explanation=text, **ADJUST)
    assert adj.explanation == text


def test_screen_adjustment_refuses_a_control_character_in_the_explanation(moved, by):
    entries = JournalEntry.objects.count()
    r = login(by).post(
        "/pindah/", {"action": "adjust", "explanation": "Selisih\x1baudit", **ADJUST}
    )
    assert r.status_code == 200
    assert EXPLANATION in r.content.decode()
    assert JournalEntry.objects.count() == entries
    assert not MoveInAdjustment.objects.exists()


def test_api_adjustment_refuses_a_control_character_in_the_explanation(moved, by):
    entries = JournalEntry.objects.count()
    body = {"explanation": "Selisih\x1faudit", **ADJUST}
    r = login(by).post("/api/v1/onboarding/adjustments/", json.dumps(body), "application/json")
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"explanation": [EXPLANATION]}
    assert JournalEntry.objects.count() == entries
    assert not MoveInAdjustment.objects.exists()


# ------------------------------------------------------------------ the mapping

UNKNOWN = [
    {"row": 2, "account": "KAS BESAR", "debit": "1000000", "credit": ""},
    {"row": 3, "account": "Gedung Serbaguna", "debit": "4000000", "credit": ""},
    {"row": 4, "account": "3103", "debit": "", "credit": "5000000"},
]
BUILDING = {"code": "1299", "name": "Gedung Serbaguna", "parent": "12"}


def _nothing_posted():
    assert not JournalEntry.objects.filter(source="opening").exists()
    assert not Account.objects.filter(code="1299").exists()
    nothing_to_confirm()  # a refused file is held for the form, never confirmable


@pytest.mark.parametrize(
    "mappings,creations,field,message",
    [
        ({"KAS\x01BESAR": "1101"}, {"Gedung Serbaguna": BUILDING}, "mappings", MAPPING),
        ({"KAS BESAR": "1101\x1f"}, {"Gedung Serbaguna": BUILDING}, "mappings", MAPPING),
        ({"KAS BESAR\x0b": "1101"}, {"Gedung Serbaguna": BUILDING}, "mappings", MAPPING),
        ({"KAS\nBESAR": "1101"}, {"Gedung Serbaguna": BUILDING}, "mappings", MAPPING_ONE_LINE),
        (
            {"KAS BESAR": "1101"},
            {"Gedung Serbaguna": {**BUILDING, "name": "Gedung\x7fSerbaguna"}},
            "creations",
            CREATION,
        ),
        (
            {"KAS BESAR": "1101"},
            {"Gedung\x85Serbaguna": BUILDING},
            "creations",
            CREATION,
        ),
    ],
)
def test_trial_balance_refuses_a_control_character_in_the_mapping(
    move_in, by, mappings, creations, field, message
):
    for service in (trial_balance_preview, trial_balance_post):
        with pytest.raises(ApplicationError) as e:
            service(move_in=move_in, rows=UNKNOWN, by=by, mappings=mappings, creations=creations)
        assert e.value.code == "validation_error"
        assert e.value.fields == {field: [message]}
    _nothing_posted()


def test_api_trial_balance_refuses_a_control_character_in_the_mapping(move_in, by):
    c = login(by)
    for preview in (True, False):
        body = {
            "rows": UNKNOWN,
            "mappings": {"KAS BESAR": "1101"},
            "creations": {"Gedung Serbaguna": {**BUILDING, "name": "Gedung\x01"}},
            "preview": preview,
        }
        r = c.post(TB_API, json.dumps(body), "application/json")
        assert r.status_code == 400, r.content
        error = r.json()["error"]
        assert error["code"] == "validation_error"
        assert error["fields"] == {"creations": [CREATION]}
    body = {"rows": UNKNOWN, "mappings": {"KAS\x1bBESAR": "1101"}, "creations": {}}
    r = c.post(TB_API, json.dumps(body), "application/json")
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"mappings": [MAPPING]}
    _nothing_posted()


def test_screen_trial_balance_refuses_a_control_character_in_the_mapping(move_in, by):
    c = login(by)
    tb = "akun;debit;kredit\n1101;100;\nKAS LAMA;50;\n3103;;150\n"
    data = {
        "action": "trial_balance",
        "move_in": move_in.pk,
        "file": csv_file(tb),
        "mapping": "KAS\x01LAMA = 1102\nGedung = 1299; Gedung\x1f; 12",
    }
    r = c.post("/pindah/", data)
    assert r.status_code == 200
    assert MAPPING in r.content.decode()
    _nothing_posted()
    # lines and the tab of a typed text are fine: the mapping is taken (shown with the
    # confirm: the upload posts in two steps)
    data["file"] = csv_file(tb)
    data["mapping"] = "KAS LAMA =\t1102\r\n"
    page = c.post("/pindah/", data, follow=True).content.decode()
    assert MAPPING not in page and "berisi kesalahan" not in page
    assert "Posting neraca saldo awal ini" in page


def test_the_trial_balance_with_its_mapping_still_posts(move_in, by):
    entry = trial_balance_post(
        move_in=move_in,
        rows=UNKNOWN,
        by=by,
        mappings={"KAS BESAR": "1101"},
        creations={"Gedung Serbaguna": BUILDING},
    )
    assert entry.lines.count() == 3 and Account.objects.get(code="1299").name == BUILDING["name"]
    assert tb_rows()  # the helpers' trial balance is untouched by the check
