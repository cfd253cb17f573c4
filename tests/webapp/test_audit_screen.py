"""The audit log screen: filters, pengawas can read it, nobody can change it."""

import datetime as dt

import pytest
from django.utils import timezone

from core.audit.models import AuditEvent
from core.audit.services import audit_log
from core.common.dates import format_tanggal
from tests.webapp.conftest import make_user


@pytest.fixture
def events(in_tenant_a):
    a = make_user("bendahara", email="bendahara@alpha.test")
    b = make_user("petugas", email="petugas@alpha.test")
    audit_log(actor=a, action="savings.deposit", target=b, reason="setoran tunai")
    audit_log(actor=b, action="loan.apply", target=a, reason="pengajuan")
    return a, b


def test_pengawas_reads_the_audit_log(client_a, events):
    pengawas = make_user("pengawas")
    client_a.force_login(pengawas)
    resp = client_a.get("/audit/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "savings.deposit" in body and "loan.apply" in body


def test_filter_by_action_actor_and_text(client_a, events):
    client_a.force_login(make_user("pengawas"))
    body = client_a.get("/audit/?action=loan.apply").content.decode()
    assert "loan.apply" in body and "setoran tunai" not in body
    body = client_a.get("/audit/?actor=bendahara").content.decode()
    assert "setoran tunai" in body and "pengajuan" not in body
    body = client_a.get("/audit/?q=setoran").content.decode()
    assert "setoran tunai" in body and "pengajuan" not in body


def test_filter_by_date_range(client_a, events):
    client_a.force_login(make_user("pengawas"))
    today = timezone.localdate()
    body = client_a.get(f"/audit/?date_from={today}&date_to={today}").content.decode()
    assert "setoran tunai" in body
    tomorrow = today + dt.timedelta(days=1)
    body = client_a.get(f"/audit/?date_from={tomorrow}").content.decode()
    assert "setoran tunai" not in body and "Tidak ada catatan yang cocok" in body


def test_detail_shows_the_data(client_a, events):
    client_a.force_login(make_user("pengawas"))
    ev = AuditEvent.objects.get(action="loan.apply")
    resp = client_a.get(f"/audit/{ev.pk}/")
    assert resp.status_code == 200 and "pengajuan" in resp.content.decode()


@pytest.mark.parametrize("role", ["petugas", "anggota"])
def test_roles_without_audit_access_are_refused(client_a, events, role):
    client_a.force_login(make_user(role, email=f"x-{role}@alpha.test"))
    assert client_a.get("/audit/").status_code in (302, 403)


def test_date_to_at_the_calendar_end_shows_the_log_not_an_error(client_a, events):
    """An auditor typing the last date the date picker allows (31-12-9999) as "until"
    sees every event up to then, not a server error."""
    client_a.force_login(make_user("pengawas"))
    resp = client_a.get("/audit/?date_to=9999-12-31")
    assert resp.status_code == 200
    assert "setoran tunai" in resp.content.decode()


def _csv_rows(resp) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))


def test_auditor_exports_the_filtered_log_as_csv(client_a, events):
    """The pengawas takes the log away: the file holds the rows the filters select (all
    pages), each with when, who, what, on what and why — as the screen shows them."""
    client_a.force_login(make_user("pengawas"))
    page = client_a.get("/audit/?actor=bendahara").content.decode()
    assert "?actor=bendahara&amp;export=csv" in page
    resp = client_a.get("/audit/?actor=bendahara&export=csv")
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    rows = _csv_rows(resp)
    head, body = rows[0], rows[1:]
    assert head[:5] == ["Waktu", "Pelaku", "Tindakan", "Objek", "Alasan"]
    assert len(body) == 1
    row = dict(zip(head, body[0], strict=True))
    assert row["Tindakan"] == "savings.deposit"
    assert row["Alasan"] == "setoran tunai"
    assert "bendahara@alpha.test" in row["Pelaku"]


def test_audit_xlsx_names_the_cooperative_the_dates_and_when_printed(client_a, events):
    import io

    from django.db import connection
    from openpyxl import load_workbook

    client_a.force_login(make_user("pengawas"))
    today = timezone.localdate()
    resp = client_a.get(f"/audit/?date_from={today}&date_to={today}&export=xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    cells = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    text = " | ".join(str(c) for r in cells for c in r)
    assert connection.tenant.name in text
    assert "Catatan audit" in text
    assert f"{format_tanggal(today)} s.d. {format_tanggal(today)}" in text
    assert "Dicetak" in text
    head_at = next(i for i, r in enumerate(cells) if r[:2] == ["Waktu", "Pelaku"])
    actions = [r[2] for r in cells[head_at + 1 :]]
    assert {"loan.apply", "savings.deposit"} <= set(actions)
    assert len(actions) == AuditEvent.objects.count()  # every row of the range, all pages


def test_an_events_data_is_shown_as_json_not_python(client_a, in_tenant_a):
    """The detail page shows the data as the API and the exports give it (JSON: true,
    false, null, double quotes, non-ASCII as typed), not Python's repr (True, None)."""
    a = make_user("bendahara", email="bendahara2@alpha.test")
    audit_log(
        actor=a,
        action="member.update",
        target=a,
        data={"invited": False, "email": None, "name": "Rina Wulandari — Bapak", "n": 3},
    )
    ev = AuditEvent.objects.get(action="member.update")
    client_a.force_login(make_user("pengawas"))
    body = client_a.get(f"/audit/{ev.pk}/").content.decode()
    assert "&quot;invited&quot;: false" in body and "&quot;email&quot;: null" in body
    assert "Rina Wulandari — Bapak" in body
    assert "False" not in body and "None" not in body and "&#x27;" not in body
