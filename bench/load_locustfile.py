"""Locust users of bench/load_bench.py: logged-in staff of cooperatives chosen at random.

Each request goes to one cooperative's host (``Host`` header; the server is reached at
``--host``) with that cooperative's admin session cookie, prepared by the bench in the
file named by $LOAD_TARGETS (a JSON list of {host, session, loan, big}). Anything but a
200 (a redirect to the login page included) counts as a failure.

$LOAD_CLIENT picks the HTTP client: ``fast`` (default) is locust's FastHttpUser
(geventhttpclient), ``requests`` its HttpUser (python-requests), which costs the load
generator several times more CPU per request on the cores the server shares with it."""

from __future__ import annotations

import json
import os
import random

from locust import FastHttpUser, HttpUser, between, constant, task

with open(os.environ["LOAD_TARGETS"]) as fh:
    TARGETS = json.load(fh)
BIG = [t for t in TARGETS if t["big"]]
WAIT = float(os.environ.get("LOAD_WAIT", "1"))
CLIENT = os.environ.get("LOAD_CLIENT", "fast")
if CLIENT not in ("fast", "requests"):
    raise SystemExit(f"LOAD_CLIENT must be fast or requests, not {CLIENT!r}")


class Staff(FastHttpUser if CLIENT == "fast" else HttpUser):
    wait_time = between(WAIT / 2, WAIT * 3 / 2) if WAIT > 0 else constant(0)

    def _get(self, target: dict, path: str, name: str) -> None:
        # one cooperative's cookies never go to another (every host is 127.0.0.1 to the jar)
        if CLIENT == "fast":
            self.client.cookiejar.clear()
        else:
            self.client.cookies.clear()
        with self.client.get(
            path,
            name=name,
            headers={"Host": target["host"], "Cookie": f"sessionid={target['session']}"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} from {target['host']}{path}")
            else:
                response.success()

    @task(3)
    def dashboard(self) -> None:
        self._get(random.choice(TARGETS), "/", "dashboard")

    @task(2)
    def member_list(self) -> None:
        self._get(random.choice(TARGETS), "/anggota/", "member list")

    @task(2)
    def big_member_list(self) -> None:
        self._get(random.choice(BIG), "/anggota/", "member list (5,000 members)")

    @task(2)
    def loan(self) -> None:
        target = random.choice(TARGETS)
        self._get(target, f"/pinjaman/{target['loan']}/", "loan")

    @task(2)
    def trial_balance(self) -> None:
        self._get(random.choice(TARGETS), "/buku-besar/laporan/neraca-saldo/", "trial balance")
