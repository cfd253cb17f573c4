"""Locust users for bench/load_bench.py: each task picks a cooperative at random and
GETs one of its pages with a logged-in session (targets read from LOAD_TARGETS, a JSON
file written by the bench: host, session cookie, loan id per cooperative)."""

import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["LOAD_TARGETS"]) as fh:
    _T = json.load(fh)
TARGETS, COOKIE = _T["targets"], _T["cookie_name"]


class Staff(HttpUser):
    wait_time = between(0, 0.2)

    def _get(self, path: str, name: str) -> None:
        t = random.choice(TARGETS)
        with self.client.get(
            path.format(loan=t["loan"]),
            name=name,
            headers={
                "Host": t["host"],
                "Cookie": f"{COOKIE}={t['session']}",
                "X-Forwarded-Proto": "https",
            },
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code != 200:  # a redirect to the login page is an error too
                r.failure(f"HTTP {r.status_code}")

    @task
    def dashboard(self):
        self._get("/", "dashboard")

    @task
    def members(self):
        self._get("/anggota/", "member list")

    @task
    def loan(self):
        self._get("/pinjaman/{loan}/", "loan page")

    @task
    def trial_balance(self):
        self._get("/buku-besar/laporan/neraca-saldo/", "trial balance")
