"""English for the public side's strings that had none (the English UI showed
Indonesian): the practice-copy screen, the operators' transfer screen and overview,
backup restore refusals, a sign-up retry refusal."""

import pytest
from django.utils import translation

SINGULAR = [
    "Hapus",  # tenants/templates/tenants/practice/settings.html
    "Skema %(schema)s sudah ada.",  # tenants/backup.py
    "Cadangan berasal dari versi Lumbung yang lebih baru (migrasi tidak dikenal: %(m)s).",
    "Pendaftaran berstatus '%(status)s' tidak dapat diulang.",  # tenants/signup.py
]
PLURAL = [
    # billing/templates/billing/operator_transfers.html
    "%(n)s bukti transfer menunggu lebih dari sehari:",
    "%(n)s tagihan dengan bukti transfer menunggu konfirmasi (ditampilkan paling atas).",
    # platform/lumbung/console/templates/console/overview.html
    "%(n)s bukti transfer menunggu konfirmasi lebih dari sehari.",
]


@pytest.mark.parametrize("msgid", SINGULAR)
def test_translated(msgid):
    with translation.override("en"):
        assert translation.gettext(msgid) != msgid


@pytest.mark.parametrize("msgid", PLURAL)
def test_plural_translated_in_both_forms(msgid):
    with translation.override("en"):
        one = translation.ngettext(msgid, msgid, 1) % {"n": 1}
        two = translation.ngettext(msgid, msgid, 2) % {"n": 2}
    assert one != msgid % {"n": 1} and two != msgid % {"n": 2}
    assert one != two  # singular and plural English forms
