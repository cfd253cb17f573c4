"""No personal data leaves for Sentry: events shaped like the ones sentry-sdk builds for a
failing member form, a failing Celery task and a log message, pushed through the real SDK
(with a transport that keeps what would have been sent) and through ``before_send``."""

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from lumbung.observability import FILTERED, before_send, init_sentry, scrub, scrub_text

NIK = "3201234567890001"  # 16 digits
NIP = "198503122010011002"  # 18 digits
NIP_SPACED = "19850312 201001 1 002"
BRI_ACCOUNT = "0123-01-000123-30-1"
BCA_ACCOUNT = "1234567890"
MANDIRI_ACCOUNT = "137-00-1234567-8"
NPWP = "01.234.567.8-901.000"
PHONE = "+62 812-3456-7890"
EMAIL = "siti.rahayu@example.co.id"
PERSONAL = [NIK, NIP, NIP_SPACED, BRI_ACCOUNT, BCA_ACCOUNT, MANDIRI_ACCOUNT, NPWP, EMAIL]


def _flatten(value) -> str:
    return repr(value)


def member_form_event() -> dict:
    """What the Django integration sends for an exception in a POST to /anggota/tambah/."""
    return {
        "event_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "timestamp": "2026-11-29T09:15:02.123456Z",
        "level": "error",
        "platform": "python",
        "release": "2026.11.29-6e2454a",
        "environment": "production",
        "tags": {"tenant": "coop_alpha"},
        "user": {"id": "17", "email": EMAIL, "username": EMAIL, "ip_address": "203.0.113.9"},
        "request": {
            "url": "https://alpha.koperasi.example.id/anggota/tambah/",
            "method": "POST",
            "query_string": f"cari={NIK}",
            "headers": {
                "Host": "alpha.koperasi.example.id",
                "Cookie": "sessionid=abc; csrftoken=def",
                "X-Forwarded-For": "203.0.113.9",
                "Referer": "https://alpha.koperasi.example.id/anggota/",
            },
            "data": {
                "full_name": "Siti Rahayu",
                "nik": NIK,
                "nip": NIP_SPACED,
                "no_rekening": BRI_ACCOUNT,
                "bank_account_number": BCA_ACCOUNT,
                "npwp": NPWP,
                "no_hp": PHONE,
                "email": EMAIL,
                "alamat": "Jl. Merdeka No. 10, Bandung",
                "simpanan_pokok": "100000",
                "csrfmiddlewaretoken": "t0k3n",
            },
        },
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": (
                        'duplicate key value violates unique constraint "members_member_nik_key"\n'
                        f"DETAIL:  Key (nik)=({NIK}) already exists."
                    ),
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "core/members/services.py",
                                "function": "member_create",
                                "lineno": 88,
                                "vars": {
                                    "nik": f"'{NIK}'",
                                    "data": {"nip": f"'{NIP}'", "rekening": f"'{MANDIRI_ACCOUNT}'"},
                                    "payload": f"{{'nip': '{NIP}', 'nama': 'Siti'}}",
                                    "amount": "Decimal('1500000')",
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": f"SELECT ... FROM members_member WHERE nik = '{NIK}'",
                    "timestamp": "2026-11-29T09:15:02.100000Z",
                },
                {"category": "django.request", "message": f"payroll row for NIP {NIP}"},
            ]
        },
        "extra": {"import_row": {"NIK": NIK, "Nama": "Siti", "Rekening": BCA_ACCOUNT}},
        "contexts": {
            "trace": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}
        },
        "modules": {"django": "5.2.8"},
    }


def test_member_form_event_keeps_no_personal_data():
    event = before_send(member_form_event(), {})
    text = _flatten(event)
    for value in PERSONAL + [PHONE.replace("+", ""), "203.0.113.9", "Jl. Merdeka"]:
        assert value not in text, value
    assert "8123456789" not in text and "3456-7890" not in text


def test_member_form_event_keeps_what_is_needed_to_debug():
    event = before_send(member_form_event(), {})
    assert event["event_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert event["timestamp"] == "2026-11-29T09:15:02.123456Z"
    assert event["release"] == "2026.11.29-6e2454a"
    assert event["tags"] == {"tenant": "coop_alpha"}
    assert event["user"] == {"id": "17"}
    assert event["request"]["url"] == "https://alpha.koperasi.example.id/anggota/tambah/"
    assert event["request"]["data"]["full_name"] == "Siti Rahayu"
    assert event["request"]["data"]["simpanan_pokok"] == "100000"
    assert event["request"]["data"]["nik"] == FILTERED
    assert event["request"]["headers"]["Cookie"] == FILTERED
    exc = event["exception"]["values"][0]
    assert exc["type"] == "IntegrityError"
    assert 'unique constraint "members_member_nik_key"' in exc["value"]
    assert f"Key (nik)=({FILTERED}) already exists." in exc["value"]
    frame = exc["stacktrace"]["frames"][0]
    assert (frame["function"], frame["lineno"]) == ("member_create", 88)
    assert frame["vars"]["amount"] == "Decimal('1500000')"
    assert frame["vars"]["payload"] == f"{{'nip': '{FILTERED}', 'nama': 'Siti'}}"
    assert event["contexts"]["trace"]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert event["modules"] == {"django": "5.2.8"}


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"NIK {NIK} sudah terdaftar", f"NIK {FILTERED} sudah terdaftar"),
        (f"NIP {NIP_SPACED} tidak ditemukan", f"NIP {FILTERED} tidak ditemukan"),
        (f"transfer ke {BRI_ACCOUNT} gagal", f"transfer ke {FILTERED} gagal"),
        (f"NPWP {NPWP}", f"NPWP {FILTERED}"),
        (f"hubungi {PHONE}", f"hubungi +{FILTERED}"),
        (f"kirim ke {EMAIL}", f"kirim ke {FILTERED}"),
        # Not personal: kept as they are.
        ("jatuh tempo 2026-11-29 10:00:00", "jatuh tempo 2026-11-29 10:00:00"),
        ("angsuran Rp 1.250.000 bulan 3/12", "angsuran Rp 1.250.000 bulan 3/12"),
        ("loan 123456 schema coop_alpha", "loan 123456 schema coop_alpha"),
        ("trace 4bf92f3577b34da6a3ce929d0e0e4736", "trace 4bf92f3577b34da6a3ce929d0e0e4736"),
    ],
)
def test_scrub_text(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    "key",
    [
        "nik",
        "NIK",
        "member_nik",
        "nikAnggota",
        "nip",
        "no_rekening",
        "noRekening",
        "norek",
        "bank_account",
        "account_number",
        "npwp",
        "no_hp",
        "phone",
        "email",
        "password",
        "alamat",
        "tanggal_lahir",
        "nama_ibu_kandung",
    ],
)
def test_personal_keys_are_dropped_whatever_their_value(key):
    assert scrub({key: "Siti"}) == {key: FILTERED}


@pytest.mark.parametrize(
    "key", ["nama", "full_name", "amount", "tenant", "status", "username_hint"]
)
def test_other_keys_keep_their_value(key):
    assert scrub({key: "Siti"}) == {key: "Siti"}


class _Keep(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


def test_real_sdk_event_is_scrubbed_before_it_would_be_sent():
    transport = _Keep()
    init_sentry(
        dsn="https://public@sentry.example.invalid/1",
        environment="production",
        release="2026.11.29-6e2454a",
        transport=transport,
    )
    try:
        client = sentry_sdk.get_client()
        assert {"django", "celery", "redis", "logging"} <= set(client.integrations)
        assert client.integrations["celery"].monitor_beat_tasks is True
        assert client.options["release"] == "2026.11.29-6e2454a"
        with sentry_sdk.new_scope():
            sentry_sdk.set_tag("tenant", "coop_alpha")
            sentry_sdk.set_user({"id": "17", "email": EMAIL})
            nik = NIK  # noqa: F841 - a local variable the SDK captures
            try:
                raise ValueError(f"Anggota dengan NIK {NIK} dan rekening {BRI_ACCOUNT} ditolak")
            except ValueError:
                sentry_sdk.capture_exception()
            sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)  # off again for the rest of the session
    events = [
        item.payload.json
        for env in transport.envelopes
        for item in env.items
        if item.type == "event"
    ]
    assert len(events) == 1
    event = events[0]
    text = repr(event)
    assert NIK not in text and BRI_ACCOUNT not in text and EMAIL not in text
    assert event["tags"]["tenant"] == "coop_alpha"
    assert event["release"] == "2026.11.29-6e2454a"
    assert event["environment"] == "production"
    assert event["user"] == {"id": "17"}
    value = event["exception"]["values"][0]["value"]
    assert value == f"Anggota dengan NIK {FILTERED} dan rekening {FILTERED} ditolak"
    frame_vars = event["exception"]["values"][0]["stacktrace"]["frames"][-1]["vars"]
    assert frame_vars["nik"] == FILTERED
