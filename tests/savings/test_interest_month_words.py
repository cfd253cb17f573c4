"""A jasa simpanan run refused names its month in words in the reader's language ("bulan
Februari 2026 sudah dihitung", "month February 2026"), not as ``02/2026``."""

import pytest
from django.utils import translation

from core.common.errors import ApplicationError
from core.savings.services import savings_interest_accrue

from .test_interest_month_skipped import funded, product  # noqa: F401


def _refusal(**kw) -> str:
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(**kw)
    return str(e.value.message)


def test_a_month_run_twice_is_refused_naming_it_in_words(funded, teller, year):  # noqa: F811
    p, _acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    msg = _refusal(product=p, year=year, month=2, by=teller)
    assert f"bulan Februari {year} sudah dihitung" in msg, msg
    assert f"02/{year}" not in msg
    with translation.override("en"):
        msg = _refusal(product=p, year=year, month=2, by=teller)
    assert f"February {year}" in msg and f"02/{year}" not in msg, msg


def test_an_earlier_month_after_a_later_one_is_refused_in_words(funded, teller, year):  # noqa: F811
    p, _acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    from core.savings.models import InterestRun

    InterestRun.objects.filter(product=p, year=year, month=2).delete()
    msg = _refusal(product=p, year=year, month=2, by=teller)
    assert f"bulan Maret {year} sudah dihitung" in msg and f"Februari {year}" in msg, msg


def test_a_month_not_ended_is_refused_in_words(funded, teller, today):  # noqa: F811
    p, _acc = funded
    with translation.override("en"):
        msg = _refusal(product=p, year=today.year + 1, month=today.month, by=teller)
    assert msg.startswith("Month ") and f"/{today.year + 1}" not in msg, msg


def _refused(fn, **kw) -> str:
    with pytest.raises(ApplicationError) as e:
        fn(**kw)
    return str(e.value.message)


def test_a_cancellation_dated_into_a_month_already_run_names_it_in_words(funded, teller, year):  # noqa: F811
    from datetime import date

    from core.savings.models import SavingsTransaction
    from core.savings.services import teller_reverse
    from tests.members import factories as f

    p, acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    dep = SavingsTransaction.objects.get(account=acc, kind="deposit")
    kw = {"txn": dep, "on": date(year, 2, 10), "reason": "salah setor", "by": f.user("bendahara")}
    msg = _refused(teller_reverse, **kw)
    assert msg.startswith(f"Jasa simpanan {p.name} bulan Februari {year} sudah dihitung;"), msg
    with translation.override("en"):
        msg = _refused(teller_reverse, **kw)
    assert f"February {year}" in msg and f"02/{year}" not in msg, msg
    assert not SavingsTransaction.objects.filter(reverses=dep).exists()


def test_a_run_reversed_twice_is_refused_naming_its_month_in_words(funded, teller, year):  # noqa: F811
    from core.savings.services import savings_interest_reverse
    from tests.members import factories as f

    p, _acc = funded
    run = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    by = f.user("bendahara")
    savings_interest_reverse(run=run, by=by, reason="tarif salah")
    kw = {"run": run, "by": by, "reason": "tarif salah"}
    assert _refused(savings_interest_reverse, **kw) == (
        f"Jasa {p.name} Februari {year} sudah dibatalkan."
    )
    with translation.override("en"):
        msg = _refused(savings_interest_reverse, **kw)
    assert f"February {year}" in msg and f"02/{year}" not in msg, msg


def test_the_tax_report_title_says_the_month_in_words(in_tenant_a, year):
    from core.savings.selectors import interest_tax_table

    title = interest_tax_table(year=year, month=2)["title"]
    assert title == f"Daftar bukti potong PPh jasa simpanan Februari {year}"
    with translation.override("en"):
        title = str(interest_tax_table(year=year, month=2)["title"])
    assert title.endswith(f"February {year}") and f"02/{year}" not in title, title


def test_the_reversal_confirmation_page_names_the_month_in_words(funded, teller, year, client_a):  # noqa: F811
    from tests.members import factories as f

    p, _acc = funded
    run = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    client_a.force_login(f.user("bendahara"))
    url = f"/simpanan/jasa/{run.pk}/batal/"
    page = client_a.post(url, {"reason": "tarif salah"}).content.decode()
    assert f"Konfirmasi pembatalan jasa {p.name} Februari {year}" in page
    client_a.cookies["django_language"] = "en"
    page = client_a.post(url, {"reason": "tarif salah"}, HTTP_ACCEPT_LANGUAGE="en").content
    page = page.decode()
    assert f"Confirm reversing {p.name} interest for February {year}" in page
    assert f"02/{year}" not in page


def test_the_reversal_s_stored_memos_keep_the_month_s_code(funded, teller, year):  # noqa: F811
    """Memos are stored once and read in either language, and the journal search finds
    a month's entries by its code: the reversal's say the month as the run's entry does."""
    from core.savings.models import SavingsTransaction
    from core.savings.services import savings_interest_reverse
    from tests.members import factories as f

    p, acc = funded
    run = savings_interest_accrue(product=p, year=year, month=2, by=teller)
    with translation.override("en"):
        run = savings_interest_reverse(run=run, by=f.user("bendahara"), reason="tarif salah")
    assert f"{p.name} 02/{year}" in run.journal_entry.description
    assert run.reversal_entry.description.endswith(f"{p.name} 02/{year}: tarif salah"), (
        run.reversal_entry.description
    )
    memos = set(
        SavingsTransaction.objects.filter(journal_entry=run.reversal_entry).values_list(
            "memo", flat=True
        )
    )
    assert memos == {f"Cancellation of Interest {p.name} 02/{year}: tarif salah"}, memos
