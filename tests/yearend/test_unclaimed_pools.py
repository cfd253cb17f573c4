"""A members' pool nobody has a claim on (here: no member paid loan jasa, so the jasa
anggota pool has nobody to receive it) goes to cadangan. The saved split, the preview and
the RAT pack show it there (the pool's own line 0, a note under cadangan) and sum to the
SHU after tax, as the posting entry does."""

from datetime import date
from decimal import Decimal
from importlib import import_module

from django.apps import apps as django_apps
from django.test import Client

from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role
from core.yearend.allocation import FUNDS
from core.yearend.models import MemberShare
from core.yearend.rat import rat_pack_tables
from core.yearend.selectors import shu_preview
from core.yearend.services import FUND_ROLES, shu_post, yearend_close
from tenants.services import tenant_host

from .conftest import YEAR

D = Decimal
RAT = date(YEAR + 1, 3, 1)


def _allocation_table(year: int) -> dict:
    return next(t for t in rat_pack_tables(year=year) if "Pembagian SHU" in str(t["title"]))


def _fund_amounts(table: dict) -> dict[str, Decimal]:
    """The amount column of the fund rows, by fund (the rows after SHU setelah pajak whose
    amount is a number, in the order of FUNDS)."""
    rows = table["rows"][3:-1]
    amounts = [r["cells"][3] for r in rows if isinstance(r["cells"][3], Decimal)]
    assert len(amounts) == len(FUNDS)
    return dict(zip(FUNDS, amounts, strict=True))


def _entry_credits(entry) -> dict[str, Decimal]:
    """What the posting entry credited to each fund, and to the members (their shares)."""
    out = {}
    for fund, role in FUND_ROLES.items():
        out[fund] = sum(
            (
                ln.credit
                for ln in JournalLine.objects.filter(entry=entry, account=account_for_role(role))
            ),
            D("0"),
        )
    out["members"] = sum(
        (
            ln.credit
            for ln in JournalLine.objects.filter(
                entry=entry, account=account_for_role("shu_members_payable")
            )
        ),
        D("0"),
    )
    return out


def test_rat_split_sums_to_shu_after_tax_and_matches_the_ledger_when_nobody_paid_jasa(
    no_loans_year,
):
    by = no_loans_year["by"]
    yearend_close(year=YEAR, by=by)
    preview = shu_preview(year=YEAR)
    pool = preview.split.funds["jasa_anggota"]
    assert pool > 0 and preview.allocation.total_contribution == 0
    draft = _fund_amounts(_allocation_table(YEAR))

    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=by)
    saved = {k: D(ye.funds[k]) for k in FUNDS}
    assert sum(saved.values()) == ye.shu_after_tax
    assert saved["jasa_anggota"] == 0
    assert D(ye.funds["jasa_anggota_to_cadangan"]) == pool
    assert D(ye.funds["jasa_modal_to_cadangan"]) == 0

    table = _allocation_table(YEAR)
    posted = _fund_amounts(table)
    assert posted == saved == draft  # the draft before the RAT showed what was posted
    total = table["rows"][-1]["cells"]
    assert (total[2], total[3]) == ("100%", ye.shu_after_tax)
    assert sum(posted.values()) == ye.shu_after_tax
    notes = [
        str(r["cells"][1]) for r in table["rows"] if "dialihkan ke cadangan" in str(r["cells"][1])
    ]
    assert len(notes) == 1 and "jasa anggota" in notes[0] and "Rp" in notes[0]

    credits = _entry_credits(ye.posting_entry)
    for fund in FUND_ROLES:
        assert credits[fund] == posted[fund], fund
    assert credits["cadangan"] == preview.split.funds["cadangan"] + pool
    members = sum((s.total for s in MemberShare.objects.filter(year_end=ye)), D("0"))
    assert credits["members"] == members == posted["jasa_modal"] + posted["jasa_anggota"]


def test_preview_funds_sum_to_shu_after_tax_with_the_pool_in_cadangan(no_loans_year):
    ye = yearend_close(year=YEAR, by=no_loans_year["by"])
    p = shu_preview(year=YEAR)
    assert sum(p.funds.values()) == ye.shu_after_tax
    assert p.funds["jasa_anggota"] == 0
    assert p.to_reserve == {"jasa_modal": 0, "jasa_anggota": p.split.funds["jasa_anggota"]}
    assert p.funds["cadangan"] == p.split.funds["cadangan"] + p.split.funds["jasa_anggota"]
    assert sum(r.jma for r in p.allocation.shares) == p.funds["jasa_modal"]


def test_split_unchanged_when_every_pool_has_a_claim(ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    p = shu_preview(year=YEAR)
    assert p.funds == p.split.funds
    table = _allocation_table(YEAR)
    assert not [r for r in table["rows"] if "dialihkan ke cadangan" in str(r["cells"][1])]


def test_migration_corrects_a_split_saved_with_the_unclaimed_pool(no_loans_year):
    """A year posted before the fix saved the pool at its full amount (and in cadangan
    too); the data migration sets it to 0 and records it as moved to cadangan."""
    by = no_loans_year["by"]
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT", by=by)
    fixed = dict(ye.funds)
    pool = D(fixed["jasa_anggota_to_cadangan"])
    old = {k: v for k, v in fixed.items() if not k.endswith("_to_cadangan")}
    old["jasa_anggota"] = str(pool)
    ye.funds = old
    ye.save(update_fields=["funds"])
    migration = import_module("core.yearend.migrations.0004_funds_pools_to_cadangan")

    migration.forwards(django_apps, None)
    ye.refresh_from_db()
    assert {k: D(v) for k, v in ye.funds.items()} == {k: D(v) for k, v in fixed.items()}
    migration.forwards(django_apps, None)  # once only
    ye.refresh_from_db()
    assert D(ye.funds["jasa_anggota"]) == 0
    migration.backwards(django_apps, None)
    ye.refresh_from_db()
    assert D(ye.funds["jasa_anggota"]) == pool and "jasa_anggota_to_cadangan" not in ye.funds


def test_preview_screen_and_api_show_the_pool_in_cadangan(tenant_a, no_loans_year, staff):
    ye = yearend_close(year=YEAR, by=no_loans_year["by"])
    pool = shu_preview(year=YEAR).split.funds["jasa_anggota"]
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    page = c.get(f"/tutup-buku/{YEAR}/pratinjau/")
    assert page.status_code == 200
    assert "tidak ada anggota yang membayar jasa pinjaman" in page.content.decode()
    body = c.get(f"/api/v1/yearend/{YEAR}/preview/").json()
    assert sum(D(v) for v in body["funds"].values()) == ye.shu_after_tax
    assert D(body["funds"]["jasa_anggota"]) == 0
    assert D(body["pools_to_cadangan"]["jasa_anggota"]) == pool
