"""A payroll batch dated (``on``: the day the agency's money came) in a month whose jasa
simpanan was already run for a product the batch credits (sukarela's excess, an
interest-bearing purpose account) would put savings back into a month whose jasa is
paid: that jasa would be wrong. The batch is refused by the savings module's one rule
for back-dated movements (``interest_run_through``, as the counter's cancellation and
the SHU payout are), naming the product, the latest month run and the way out;
nothing is written. Before, the batch posted and the paid month's balances changed."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.common.dates import format_bulan, format_tanggal
from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalEntry
from core.loans.models import Repayment
from core.loans.schedules import add_months
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.services import savings_account_open, savings_interest_accrue, teller_deposit

from .conftest import assert_reconciled, csv_bytes, login, make_run


def _state():
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
        sorted(SavingsAccount.objects.values_list("pk", "balance", "status")),
        sorted(DeductionLine.objects.values_list("pk", "realized", "posted_import_id")),
    )


def _interest_bearing(kind: str) -> SavingsProduct:
    product = SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("pk").first()
    product.interest_enabled = True
    product.interest_rate_annual = D("6")
    product.save()
    return product


def _run_jasa(product, on, by):
    """``product``'s jasa simpanan run for ``on``'s month (finished: last month)."""
    savings_interest_accrue(product=product, year=on.year, month=on.month, by=by)


@pytest.fixture
def last_month(coop, cutoffs):
    """Last month's list; m3 (no loan) is asked only wajib."""
    run = make_run(on=cutoffs[0], by=coop["by"])
    return {"run": run, "line": run.lines.get(member=coop["m"][2])}


def _upload(coop, run, amount):
    return svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(coop["m"][2].nip, amount)]),
        file_name="a.csv",
        by=coop["by"],
    )


def test_batch_crediting_sukarela_in_a_month_whose_jasa_was_run_is_refused(coop, last_month):
    """m3 cut 50,000 more than asked (the excess to sukarela); last month's sukarela
    jasa is run; the batch dated last month is refused naming sukarela and the month,
    nothing changed; dated this month (after the run month) it posts."""
    by, run = coop["by"], last_month["run"]
    sukarela = _interest_bearing("sukarela")
    imp = _upload(coop, run, int(last_month["line"].total) + 50000)
    assert imp.status == "valid", imp.errors
    on = run.month_start
    _run_jasa(sukarela, on, by)
    before = _state()
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_import_post(imp=imp, by=by, on=on)
    err = exc.value
    assert err.code == "deduction_interest_run" and err.status_code == 400
    msg = str(err.message)
    assert sukarela.name in msg and format_bulan(on) in msg, msg
    assert format_tanggal(on) in msg, msg
    # the way out: the first day after the month run, or the jasa run reversed first
    after = add_months(on.replace(day=1), 1)
    assert format_tanggal(after) in msg and "Batalkan" in msg, msg
    assert err.fields["on"]
    assert _state() == before
    assert DeductionImport.objects.get(pk=imp.pk).status == "valid"
    # on a date after the month whose jasa was paid, it posts
    today = timezone.localdate()
    imp = svc.deduction_import_post(imp=imp, by=by, on=today)
    assert imp.status == "posted" and imp.entry.date == today
    assert_reconciled()


def test_batch_crediting_only_what_earns_no_jasa_posts_in_that_month(coop, last_month):
    """m3 cut exactly the wajib asked: the batch credits wajib only (no jasa), so
    sukarela's jasa run of the month does not stop it (only what the batch credits
    counts)."""
    by, run = coop["by"], last_month["run"]
    sukarela = _interest_bearing("sukarela")
    imp = _upload(coop, run, int(last_month["line"].total))
    _run_jasa(sukarela, run.month_start, by)
    imp = svc.deduction_import_post(imp=imp, by=by, on=run.month_start)
    assert imp.status == "posted" and imp.entry.date == run.month_start
    assert_reconciled()


def test_batch_crediting_an_interest_bearing_purpose_account_is_refused(coop, cutoffs):
    """m3's hari raya account earns jasa; its product's jasa of last month is run; the
    batch paying the month's deposit into it dated last month is refused naming that
    product (not sukarela, which earns nothing here)."""
    prev, _this = cutoffs
    by, m3 = coop["by"], coop["m"][2]
    product = _interest_bearing("berjangka")
    opened = add_months(prev, -1).replace(day=1)
    acc = savings_account_open(member=m3, product=product, on=opened, monthly_amount=D("100000"))
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=opened, by=by)
    run = make_run(on=prev, by=by)
    line = run.lines.get(member=m3)
    assert line.others == D("100000")
    imp = _upload(coop, run, int(line.total))
    _run_jasa(product, run.month_start, by)
    before = _state()
    with pytest.raises(ApplicationError) as exc:
        svc.deduction_import_post(imp=imp, by=by, on=run.month_start)
    assert exc.value.code == "deduction_interest_run"
    assert product.name in str(exc.value.message)
    assert _state() == before


def test_refusal_on_the_screen_before_the_confirmation_and_in_the_api(coop, last_month):
    """The import page's posting form: refused before the confirmation page (which
    would ask to post), in Indonesian, in English for an English user; the API
    answers 400 with the JSON error. Nothing changed."""
    by, run = coop["by"], last_month["run"]
    sukarela = _interest_bearing("sukarela")
    imp = _upload(coop, run, int(last_month["line"].total) + 50000)
    on = run.month_start
    _run_jasa(sukarela, on, by)
    before = _state()
    c = login(by)
    r = c.post(f"/potong-gaji/impor/{imp.pk}/", {"action": "post", "on": on.isoformat()})
    assert r.status_code == 302, r.content.decode()[:2000]  # no confirmation page
    page = c.get(r.url).content.decode()
    assert "sudah dihitung" in page and sukarela.name in page, page[:3000]
    c.cookies["django_language"] = "en"
    r = c.post(
        f"/potong-gaji/impor/{imp.pk}/",
        {"action": "post", "on": on.isoformat(), "confirmed": "1"},
        follow=True,
    )
    page = r.content.decode()
    assert "already" in page and sukarela.name in page, page[:3000]
    assert "sudah dihitung" not in page
    r = c.post(
        f"/api/v1/deductions/imports/{imp.pk}/post/",
        {"on": on.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "deduction_interest_run"
    assert sukarela.name in err["message"] and err["fields"]["on"]
    assert _state() == before


def test_nothing_deducted_books_no_savings_so_is_not_refused(coop, last_month):
    """A confirmed "nothing deducted" batch credits no savings: a month whose jasa was
    run does not stop it (nothing of that month's balances changes)."""
    by, run = coop["by"], last_month["run"]
    sukarela = _interest_bearing("sukarela")
    _run_jasa(sukarela, run.month_start, by)
    savings = SavingsTransaction.objects.count()
    imp = svc.deduction_agency_post_nothing(
        run=run, agency=coop["agencies"][1], by=by, on=run.month_start
    )
    assert imp.status == "posted" and imp.entry is None
    assert SavingsTransaction.objects.count() == savings


def test_the_check_reads_the_jasa_runs_once_per_batch(coop, cutoffs):
    """Every member of agency A cut 10,000 more than asked (each a sukarela credit): the
    jasa runs are read in one query for the batch, not one per member."""
    by = coop["by"]
    _interest_bearing("sukarela")
    run = make_run(on=cutoffs[1], by=by)
    rows = [(ln.nip, int(ln.total) + 10000) for ln in run.lines.filter(agency=coop["agencies"][0])]
    imp = svc.deduction_import_upload(
        run=run, agency=coop["agencies"][0], content=csv_bytes(rows), file_name="a.csv", by=by
    )
    with CaptureQueriesContext(connection) as ctx:
        imp = svc.deduction_import_post(imp=imp, by=by)
    assert imp.status == "posted"
    reads = [q["sql"] for q in ctx.captured_queries if '"savings_interestrun"' in q["sql"]]
    assert len(reads) == 1, reads
