"""The payroll batches savings and loans name their rows by are read through the reader
the deductions app registers (core.ledger.payroll_batches): none registered is an error,
never rows shown by their bare memos; a batch's page is linked only for a role that
reads it."""

from datetime import date
from types import SimpleNamespace

import pytest

from core.ledger import payroll_batches as pb


def test_reading_batches_with_no_reader_registered_is_an_error(monkeypatch):
    monkeypatch.setattr(pb, "_reader", [])
    with pytest.raises(RuntimeError, match="core.deductions"):
        pb.payroll_batches_by_entry(entry_ids=[1])


def test_the_deductions_app_registers_its_reader():
    from core.deductions.selectors import payroll_batches_by_entry

    assert pb._reader == [payroll_batches_by_entry]


def test_a_batch_page_is_linked_only_for_a_role_that_reads_it():
    batch = pb.PayrollBatch(
        period=date(2026, 3, 1),
        agency="Dinas",
        reference="JU-2026-00001",
        url="/potong-gaji/impor/1/",
        read_roles=frozenset({"bendahara"}),
    )
    user = SimpleNamespace(is_authenticated=True, role="bendahara")
    assert batch.url_for(user) == "/potong-gaji/impor/1/"
    assert batch.url_for(SimpleNamespace(is_authenticated=True, role="anggota")) == ""
