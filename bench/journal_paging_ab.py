#!/usr/bin/env python
"""The journal list with a full COUNT(*) against the bounded count, interleaved.

    .venv/bin/python bench/journal_paging_ab.py [--samples 15]

Times, in one process and alternating request by request (so the machine's load hits
both alike), the journal list HTML and API with Django's ``Paginator`` / DRF's
``PageNumberPagination`` (a ``COUNT(*)`` of every entry, as before issue #20) and with
``BoundedPaginator`` / ``BoundedPageNumberPagination`` (what the app uses), plus the
reports index page as a baseline. Uses the cooperative ``bench/statements_bench.py`` left
in BENCH_DB (default ``lumbung_bench_statements``): run that first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import django_setup

django_setup("lumbung_bench_statements", env={"DJANGO_DEBUG": "false"})

from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from rest_framework.pagination import PageNumberPagination

from core.common.pagination import BoundedPageNumberPagination, BoundedPaginator
from core.ledger import api, views
from core.users.models import User
from tenants.models import Cooperative
from tenants.services import tenant_host

URLS = {
    "baseline: reports index page": "/buku-besar/laporan/",
    "jurnal (journal list) HTML": "/buku-besar/jurnal/",
    "jurnal (journal list) API": "/api/v1/ledger/entries/",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    coop = Cooperative.objects.get(slug="bench-statements")
    connection.set_tenant(coop)
    client = Client(HTTP_HOST=tenant_host(coop.slug))
    client.force_login(User.objects.get(username="admin@bench.test"))

    def use(full_count: bool) -> None:
        views.BoundedPaginator = Paginator if full_count else BoundedPaginator
        api.EntryListCreate.pagination_class = (
            PageNumberPagination if full_count else BoundedPageNumberPagination
        )

    times: dict[tuple[str, bool], list[float]] = {}
    try:
        for name, url in URLS.items():
            for full in (True, False):  # warm-up
                use(full)
                client.get(url)
            for _i in range(args.samples):
                for full in (True, False):
                    use(full)
                    t = time.perf_counter()
                    resp = client.get(url)
                    ms = (time.perf_counter() - t) * 1000
                    assert resp.status_code == 200, (url, resp.status_code)
                    times.setdefault((name, full), []).append(ms)
    finally:
        use(False)
    print(f"load average {os.getloadavg()[0]:.1f}; p50 / max ms of {args.samples} each")
    for name in URLS:
        a, b = times[(name, True)], times[(name, False)]
        print(
            f"| {name} | {statistics.median(a):.1f} / {max(a):.1f} "
            f"| {statistics.median(b):.1f} / {max(b):.1f} |"
        )


if __name__ == "__main__":
    main()
