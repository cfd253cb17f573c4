"""The health page's pending migrations: the total however long the list, "… and N
more" past what is listed, and "not yet measured" (with when it will be) instead of "no
pending migrations" when the statistics were never refreshed."""

import pytest
from django.utils import timezone

from lumbung.console import selectors
from lumbung.console.models import TenantStats
from tenants.models import Cooperative

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_this_tests_stats():
    """Rows another test committed (a real worker) would count here; deleted inside the
    test's transaction, so rolled back with it."""
    TenantStats.objects.all().delete()


def _page(op_clients) -> str:
    return " ".join(op_clients["admin"].get("/konsol/kesehatan/").content.decode().split())


def _cooperatives_with_pending(n: int) -> None:
    """``n`` cooperatives (rows only, no schema) measured with migrations pending."""
    coops = Cooperative.objects.bulk_create(
        Cooperative(
            slug=f"tertunda-{i}", name=f"KPRI Tertunda {i}", schema_name=f"coop_tertunda_{i}"
        )
        for i in range(n)
    )
    now = timezone.now()
    TenantStats.objects.bulk_create(
        TenantStats(cooperative=c, migrations_pending=1 + i % 3, refreshed_at=now)
        for i, c in enumerate(coops)
    )


def test_health_shows_the_total_pending_and_how_many_are_not_listed(op_clients):
    _cooperatives_with_pending(203)

    h = selectors.health()
    assert len(h["pending"]) == 200
    assert h["pending_total"] == 203

    page = _page(op_clients)
    assert "203 koperasi dengan migrasi tertunda" in page
    assert "… dan 3 lainnya" in page
    assert "Tidak ada migrasi tertunda" not in page


def test_health_lists_every_pending_one_without_more_when_all_fit(op_clients):
    _cooperatives_with_pending(2)

    page = _page(op_clients)

    assert "2 koperasi dengan migrasi tertunda" in page
    assert "lainnya" not in page


def test_health_says_not_yet_measured_when_the_statistics_were_never_refreshed(
    op_clients, tenant_a
):
    h = selectors.health()
    assert h["stats_refreshed"] is None

    page = _page(op_clients)
    assert "Tidak ada migrasi tertunda" not in page
    assert "Belum diukur" in page
    # when it will be: the hourly task, or the button now
    assert "tiap 60 menit" in page
    assert "Perbarui statistik" in page


def test_a_row_kept_only_for_its_mrr_is_not_a_measurement(op_clients, tenant_a):
    """stats_mrr_follow makes a row for a cooperative that bills before its first
    refresh: its zero pending migrations were never measured."""
    TenantStats.objects.create(cooperative=tenant_a, mrr=150_000)

    page = _page(op_clients)

    assert "Belum diukur" in page
    assert "Tidak ada migrasi tertunda" not in page


def test_health_says_none_pending_once_measured_and_counts_those_not_measured_yet(
    op_clients, tenant_a, tenant_b
):
    TenantStats.objects.create(cooperative=tenant_a, refreshed_at=timezone.now())
    unmeasured = (
        Cooperative.objects.exclude(schema_name="public")
        .filter(is_practice=False)
        .exclude(console_stats__refreshed_at__isnull=False)
        .count()
    )
    assert unmeasured >= 1  # beta at least

    page = _page(op_clients)

    assert "Tidak ada migrasi tertunda" in page
    assert f"{unmeasured} koperasi belum diukur" in page
