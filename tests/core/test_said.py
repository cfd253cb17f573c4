"""``core.common.said``: a system-written text kept as a code with its params and said
again in the reader's language; what it cannot render shows the stored text."""

import copy
import logging
import pickle

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from core.common.said import Said, said_kept, said_register, said_shown
from core.ledger.reconciliation import SUBLEDGER_ITEMS


def test_a_said_keeps_its_code_and_params_and_is_said_again_in_another_language():
    with translation.override("id"):
        said = Said("subledger.cash_flow_month", {"month": "2026-05"})
    assert said == "arus kas Mei 2026"
    kept = said_kept(said)
    assert kept == {
        "code": "subledger.cash_flow_month",
        "params": {"month": "2026-05"},
        "message": "arus kas Mei 2026",
    }
    with translation.override("en"):
        assert said_shown(kept) == "cash flow May 2026"
    again = pickle.loads(pickle.dumps(said))
    assert isinstance(again, Said) and again.code == said.code and str(again) == str(said)
    assert copy.deepcopy(said).params == said.params


def test_what_cannot_be_rendered_shows_the_stored_text(caplog):
    assert said_shown("teks lama") == "teks lama"
    assert said_shown({"code": None, "params": {}, "message": "tanpa kode"}) == "tanpa kode"
    assert said_shown({"code": "no.such", "params": {}, "message": "kode asing"}) == "kode asing"
    with caplog.at_level(logging.ERROR, logger="core.common.said"):
        shown = said_shown({"code": "subledger.cash_flow_month", "params": {}, "message": "m"})
    assert shown == "m" and any("not rendered" in r.getMessage() for r in caplog.records)
    assert said_kept("polos") == {"code": None, "params": {}, "message": "polos"}


def test_a_code_of_another_module_is_refused():
    with pytest.raises(ImproperlyConfigured, match="subledger.principal"):
        said_register({"subledger.principal": lambda p: "x"})
    # the same module registering its own again (imported anew) is no clash
    said_register(dict(SUBLEDGER_ITEMS))
