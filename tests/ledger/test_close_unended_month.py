"""A month cannot be closed before it has ended (as a year cannot): closing it early
refused every posting dated later in it (teller deposits, the daily arrears run's PPAP,
payroll). Refused by the service (every caller: the periods screen, its confirmation
page, the API, the move-in's go-live), with the month and the first day it can be
closed; the screen offers no close button for it and says when it can be closed."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import Period
from core.ledger.services import fiscal_year_ensure, period_close


@pytest.fixture
def on(monkeypatch, in_tenant_a, today):
    """The cooperative's today frozen at the 7th of this month (whatever the real day:
    on a month's last day it may be closed)."""
    frozen = date(today.year, today.month, 7)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: frozen)
    fiscal_year_ensure(year=frozen.year)
    return frozen


MONTHS = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"


def _month_name(d: date) -> str:
    return f"{MONTHS.split()[d.month - 1]} {d.year}"


def _month_end(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def test_closing_the_month_not_ended_is_refused_and_changes_nothing(on, bendahara):
    period = Period.objects.get(start_date=on.replace(day=1))
    audits = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        period_close(period=period, by=bendahara)
    end = _month_end(on)
    assert exc.value.code == "period_not_ended"
    assert exc.value.message == (
        f"Periode {_month_name(on)} belum berakhir; dapat ditutup mulai "
        f"{end.day} {_month_name(end)}."
    )
    period.refresh_from_db()
    assert period.status == "open" and period.closed_at is None
    assert AuditEvent.objects.count() == audits


def test_a_later_month_is_refused_too(on, bendahara):
    if on.month == 12:
        pytest.skip("no later month in this fiscal year")
    later = Period.objects.get(start_date=date(on.year, on.month + 1, 1))
    with pytest.raises(ApplicationError) as exc:
        period_close(period=later, by=bendahara)
    assert exc.value.code == "period_not_ended"
    assert Period.objects.get(pk=later.pk).status == "open"


def test_a_month_may_be_closed_on_its_last_day(monkeypatch, in_tenant_a, bendahara, today):
    end = _month_end(today)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: end)
    fiscal_year_ensure(year=end.year)
    period = Period.objects.get(start_date=end.replace(day=1))
    assert period_close(period=period, by=bendahara).status == "closed"


def test_api_refuses_closing_the_month_not_ended(on, login):
    period = Period.objects.get(start_date=on.replace(day=1))
    resp = login("bendahara").post(f"/api/v1/ledger/periods/{period.pk}/close/")
    assert resp.status_code == 400, resp.content
    err = resp.json()["error"]
    assert err["code"] == "period_not_ended"
    end = _month_end(on)
    assert f"{end.day} {_month_name(end)}" in err["message"]
    assert err["fields"] == {"closable_from": end.isoformat()}
    assert Period.objects.get(pk=period.pk).status == "open"


def test_periods_screen_offers_no_close_for_the_month_not_ended(on, login):
    """The month that has not ended says when it can be closed instead of a button; a
    month that has ended keeps its button."""
    period = Period.objects.get(start_date=on.replace(day=1))
    html = login("bendahara").get("/buku-besar/periode/").content.decode()
    end = _month_end(on)
    assert f"Dapat ditutup mulai {end.day} {_month_name(end)}" in html
    # no close form for that month's row
    assert f'name="period" value="{period.pk}"><button type="submit">Tutup bulan' not in html
    if on.month > 1:
        ended = Period.objects.get(start_date=date(on.year, on.month - 1, 1))
        assert f'name="period" value="{ended.pk}"><button type="submit">Tutup bulan' in html


def test_confirmation_page_says_when_and_offers_no_button(on, login):
    period = Period.objects.get(start_date=on.replace(day=1))
    c = login("bendahara")
    html = c.post("/buku-besar/periode/", {"action": "close", "period": period.pk}).content
    html = html.decode()
    end = _month_end(on)
    assert f"Periode {_month_name(on)} belum dapat ditutup" in html
    assert f"dapat ditutup mulai {end.day} {_month_name(end)}" in html
    assert "Ya, tutup periode" not in html
    # a confirmed POST (a stale page) is refused by the service with the same words
    resp = c.post(
        "/buku-besar/periode/",
        {"action": "close", "period": period.pk, "confirmed": "1"},
        follow=True,
    )
    assert f"dapat ditutup mulai {end.day} {_month_name(end)}" in resp.content.decode()
    assert Period.objects.get(pk=period.pk).status == "open"
