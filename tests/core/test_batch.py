"""``core.common.batch``: JIT off for the current transaction only; the garbage collector
paused while a batch runs and restored after, also when it fails."""

import gc

import pytest
from django.db import connection, transaction

from core.common.batch import gc_paused, jit_off


def _jit() -> str:
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        return cur.fetchone()[0]


def test_jit_off_lasts_until_the_transaction_ends(django_db_setup, django_db_blocker):
    # real commits (no test transaction around): SET LOCAL leaves nothing on the connection
    with django_db_blocker.unblock():
        try:
            connection.set_schema_to_public()
            before = _jit()
            with transaction.atomic():
                jit_off()
                assert _jit() == "off"
            assert _jit() == before
        finally:
            connection.close()


def test_jit_off_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        jit_off()


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_restores_the_collector_as_it_was(enabled):
    seen = []

    @gc_paused
    def work(fail: bool) -> int:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("boom")
        return 7

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert work(False) == 7
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError):
            work(True)
        assert gc.isenabled() is enabled
        assert seen == [False, False]
    finally:
        gc.enable() if was else gc.disable()
