"""Two sign-ups for one address at the same moment, each on its own connection (as two
web workers): the database's one-live-request-per-slug index decides; the loser gets
the form's "already taken" error, and nothing of a cooperative exists for either."""

import threading
import time
import uuid
from datetime import date

from django.db import connection

from core.common.errors import ApplicationError
from tenants import signup
from tenants.models import Cooperative, Domain, SignupRequest
from tenants.services import tenant_host
from tests.faults.helpers import raw_connection


def _data(slug: str, email: str) -> signup.SignupData:
    return signup.SignupData(
        slug=slug,
        name="KPRI Balapan",
        kind="kpri",
        legal_number="12/BH/2020",
        legal_date=date(2020, 1, 2),
        nik_koperasi="",
        province="Kalimantan Tengah",
        regency="Kota Palangka Raya",
        member_count=100,
        contact_name="Dewi",
        email=email,
        phone="+6281234567890",
        password="Koperasi-Maju-2026",
    )


def _waiting_on_a_lock(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with raw_connection() as c, c.cursor() as cur:
            cur.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cur.fetchone():
                return
        time.sleep(0.05)
    raise AssertionError("the second sign-up never waited for the first")


def test_two_signups_for_one_address_at_once_one_wins_the_other_is_told_it_is_taken(
    db, monkeypatch
):
    slug = f"balapan-{uuid.uuid4().hex[:8]}"
    inside, release = threading.Event(), threading.Event()
    queued = []

    def mail_queue_held_open(*, signup):  # the first one's transaction stays open here
        queued.append(signup.pk)
        inside.set()
        assert release.wait(30)

    monkeypatch.setattr(signup, "_verification_mail_queue", mail_queue_held_open)
    outcome: dict = {}

    def submit(key: str, email: str) -> None:
        try:
            connection.set_schema_to_public()
            outcome[key] = signup.signup_submit(data=_data(slug, email))
        except Exception as exc:  # judged below
            outcome[key] = exc
        finally:
            connection.close()

    first = threading.Thread(target=submit, args=("first", "satu@balapan.test"))
    second = threading.Thread(target=submit, args=("second", "dua@balapan.test"))
    try:
        first.start()
        assert inside.wait(30)
        second.start()
        _waiting_on_a_lock()  # on the unique index, behind the first's uncommitted row
        release.set()
        first.join(30)
        second.join(30)
        assert not first.is_alive() and not second.is_alive()

        assert isinstance(outcome["first"], signup.SignupSubmitted), outcome
        lost = outcome["second"]
        assert isinstance(lost, ApplicationError), outcome
        assert lost.code == "slug_taken"
        assert lost.fields == {"slug": ["Alamat sudah dipakai."]}
        rows = list(SignupRequest.objects.filter(slug=slug).values_list("email", "status"))
        assert rows == [("satu@balapan.test", "pending")]
        assert len(queued) == 1  # one verification e-mail, the winner's
        assert not Cooperative.objects.filter(slug=slug).exists()
        assert not Domain.objects.filter(domain=tenant_host(slug)).exists()
    finally:
        release.set()
        with raw_connection() as c, c.cursor() as cur:  # the threads really committed
            cur.execute(
                f'DELETE FROM public."{SignupRequest._meta.db_table}" WHERE slug = %s', [slug]
            )
