"""The transactions page opens on the last 90 days; the member can choose any period —
a whole year, everything since joining, or any two dates — and each account's opening
balance, money in, money out and closing balance are those of the period chosen (the
books' movements before, in and through it). Bad input says so and shows no figures."""

from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from core.common.money import format_rupiah
from core.savings.models import SavingsTransaction

from .conftest import CLOSED, ZERO, client_for, text

URL = "/portal/transaksi/"


def _books(account, date_from: date, date_to: date) -> dict:
    moves = SavingsTransaction.objects.filter(account=account)
    before = moves.filter(on__lt=date_from).aggregate(s=Sum("delta", default=ZERO))["s"]
    inside = moves.filter(on__gte=date_from, on__lte=date_to)
    t_in = inside.filter(delta__gt=0).aggregate(s=Sum("amount", default=ZERO))["s"]
    t_out = inside.filter(delta__lt=0).aggregate(s=Sum("amount", default=ZERO))["s"]
    return {"opening": before, "in": t_in, "out": t_out, "closing": before + t_in - t_out}


def _check_period(resp, date_from: date, date_to: date) -> None:
    assert resp.status_code == 200
    assert (resp.context["date_from"], resp.context["date_to"]) == (date_from, date_to)
    page = text(resp.content.decode())
    for s in resp.context["statement"]:
        want = _books(s.account, date_from, date_to)
        got = {"opening": s.opening, "in": s.total_in, "out": s.total_out, "closing": s.closing}
        assert got == want, s.account.product.kind
        # the page shows the period's money in and out beside the closing balance
        assert (
            f"Masuk {format_rupiah(want['in'])} Keluar {format_rupiah(want['out'])} "
            f"Saldo akhir {format_rupiah(want['closing'])}"
        ) in page, s.account.product.kind


def test_a_whole_year_chosen_from_the_page_has_that_years_figures(savings_story_read):
    coop, _, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    page = portal.get(URL).content.decode()
    # the page offers the years she has been a member in, each a whole year
    assert f'href="?date_from={CLOSED}-01-01&amp;date_to={CLOSED}-12-31"' in page
    resp = portal.get(URL, {"date_from": f"{CLOSED}-01-01", "date_to": f"{CLOSED}-12-31"})
    _check_period(resp, date(CLOSED, 1, 1), date(CLOSED, 12, 31))
    sukarela = next(s for s in resp.context["statement"] if s.account.product.kind == "sukarela")
    assert sukarela.opening == 0 and sukarela.total_in > 100_000_000  # deposits and jasa
    assert sukarela.total_out >= 3_000_000  # withdrawn 2.000.000, the reversal, PPh


def test_since_joining_shows_everything_from_a_zero_opening(savings_story_read):
    coop, _, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    today = timezone.localdate()
    since = f"?date_from={rina.join_date:%Y-%m-%d}&amp;date_to={today:%Y-%m-%d}"
    assert f'href="{since}"' in portal.get(URL).content.decode()
    resp = portal.get(
        URL, {"date_from": f"{rina.join_date:%Y-%m-%d}", "date_to": f"{today:%Y-%m-%d}"}
    )
    _check_period(resp, rina.join_date, today)
    for s in resp.context["statement"]:
        assert s.opening == 0 and s.closing == s.account.balance


def test_only_an_end_date_shows_the_90_days_up_to_it(savings_story_read):
    """Not the period from 90 days before today back to that date, turned round."""
    coop, _, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    resp = portal.get(URL, {"date_to": f"{CLOSED}-03-31"})
    _check_period(resp, date(CLOSED, 3, 31) - timedelta(days=90), date(CLOSED, 3, 31))


def test_only_a_start_date_runs_to_today(savings_story_read):
    coop, _, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    resp = portal.get(URL, {"date_from": f"{CLOSED}-03-01"})
    _check_period(resp, date(CLOSED, 3, 1), timezone.localdate())


def test_a_date_that_is_not_a_date_is_said_and_no_figures_shown(savings_story_read):
    coop, _, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    resp = portal.get(URL, {"date_from": "2025-13-45", "date_to": "2025-12-31"})
    assert resp.status_code == 400
    page = text(resp.content.decode())
    assert "Dari: Masukkan tanggal yang valid." in page
    assert resp.context["statement"] is None and "Saldo akhir" not in page
    # nor a PDF of some other period
    pdf = portal.get(URL, {"date_from": "2025-13-45", "date_to": "2025-12-31", "format": "pdf"})
    assert pdf.status_code == 400 and pdf["Content-Type"].startswith("text/html")
