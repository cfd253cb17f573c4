"""journal_post / journal_reverse: bad input is refused with a specific code and nothing
is written; good input posts numbered, audited, balanced entries."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import Account, FiscalYear, JournalEntry, JournalLine, Period
from core.ledger.selectors import account_balance, account_for_role, balances_check
from core.ledger.services import (
    LineSpec,
    fiscal_year_ensure,
    journal_entry_id_reserve,
    journal_post,
    journal_reverse,
    period_close,
)

D = Decimal


def _counts():
    return (
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        AuditEvent.objects.count(),
        list(FiscalYear.objects.values_list("year", "last_number")),
    )


def _refused(code, **kwargs):
    before = _counts()
    with pytest.raises(ApplicationError) as exc:
        journal_post(**kwargs)
    assert exc.value.code == code, exc.value.message
    assert _counts() == before
    return exc.value


def _ok_lines(amount="1000"):
    return [LineSpec("1101", debit=D(amount)), LineSpec("3106", credit=D(amount))]


def test_unbalanced_entry_refused(in_tenant_a, bendahara, today):
    err = _refused(
        "entry_unbalanced",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("999"))],
    )
    assert "tidak seimbang" in err.message


def test_zero_amount_refused(in_tenant_a, bendahara, today):
    _refused(
        "amount_not_positive",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("1101"), LineSpec("3106")],
    )


def test_negative_amount_refused(in_tenant_a, bendahara, today):
    _refused(
        "amount_not_positive",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("-5")), LineSpec("3106", credit=D("-5"))],
    )


def test_both_sides_refused(in_tenant_a, bendahara, today):
    _refused(
        "amount_both_sides",
        on=today,
        description="x",
        by=bendahara,
        lines=[
            LineSpec("1101", debit=D("5"), credit=D("5")),
            LineSpec("3106", credit=D("5")),
            LineSpec("1102", debit=D("5")),
        ],
    )


def test_unknown_code_refused(in_tenant_a, bendahara, today):
    _refused(
        "unknown_account",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("9999", debit=D("5")), LineSpec("3106", credit=D("5"))],
    )


def test_inactive_account_refused(in_tenant_a, bendahara, today):
    Account.objects.filter(code="1106").update(is_active=False)
    _refused(
        "inactive_account",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("1106", debit=D("5")), LineSpec("3106", credit=D("5"))],
    )


def test_group_account_refused(in_tenant_a, bendahara, today):
    _refused(
        "group_account",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("11", debit=D("5")), LineSpec("3106", credit=D("5"))],
    )


def test_float_and_fraction_refused(in_tenant_a, bendahara, today):
    _refused(
        "amount_type",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("1101", debit=5.0), LineSpec("3106", credit=D("5"))],
    )
    _refused(
        "amount_precision",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("5.001")), LineSpec("3106", credit=D("5.001"))],
    )


def test_single_line_and_empty_description_refused(in_tenant_a, bendahara, today):
    _refused(
        "entry_too_few_lines",
        on=today,
        description="x",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("5"))],
    )
    _refused("description_required", on=today, description="  ", by=bendahara, lines=_ok_lines())


def test_closed_period_refused(in_tenant_a, bendahara, today):
    first = today.replace(day=1)
    last_month = first - timedelta(days=1)
    fiscal_year_ensure(year=last_month.year)  # in January: last year, opened as an admin would
    journal_post(on=last_month, description="sebelum tutup", by=bendahara, lines=_ok_lines())
    period = Period.objects.get(start_date=last_month.replace(day=1))
    period_close(period=period, by=bendahara)
    err = _refused("period_closed", on=last_month, description="x", by=bendahara, lines=_ok_lines())
    assert "ditutup" in err.message


def test_future_date_refused(in_tenant_a, bendahara, today):
    _refused(
        "future_date",
        on=today + timedelta(days=1),
        description="x",
        by=bendahara,
        lines=_ok_lines(),
    )


def test_duplicate_source_ref_posts_nothing_twice(in_tenant_a, bendahara, today):
    kw = {"on": today, "description": "Potong gaji", "source": "deduction", "source_ref": "b-1"}
    journal_post(by=bendahara, lines=_ok_lines(), **kw)
    err = _refused("duplicate_posting", by=bendahara, lines=_ok_lines(), **kw)
    assert err.status_code == 409
    # The same reference under another source is a different transaction.
    journal_post(by=bendahara, lines=_ok_lines(), **(kw | {"source": "loan"}))


def test_numbers_are_sequential_per_year(in_tenant_a, bendahara, today):
    nums = [
        journal_post(on=today, description=f"n{i}", by=bendahara, lines=_ok_lines()).number
        for i in range(4)
    ]
    assert nums == list(range(nums[0], nums[0] + 4))
    assert FiscalYear.objects.get(year=today.year).last_number == nums[-1]


def test_post_writes_audit_and_member_lines(in_tenant_a, bendahara, today):
    cash, wajib = account_for_role("cash"), account_for_role("savings_wajib")
    e = journal_post(
        on=today,
        description="Setoran wajib",
        source="savings",
        source_ref="dep-7",
        by=bendahara,
        lines=[
            LineSpec(cash, debit=D("150000")),
            LineSpec(wajib, credit=D("100000"), member_id=7),
            LineSpec(wajib, credit=D("50000"), member_id=8),
        ],
    )
    ev = AuditEvent.objects.get(action="ledger.entry.post", target_id=str(e.pk))
    assert ev.actor == bendahara and ev.data["total"] == "150000"
    assert account_balance(account=wajib, member_id=7) == D("100000")
    assert account_balance(account=wajib, member_id=8) == D("50000")
    assert account_balance(account=wajib) == D("150000")
    assert account_balance(account=cash, as_of=today - timedelta(days=400)) == 0


def test_reverse_mirrors_and_links(in_tenant_a, bendahara, today):
    cash = account_for_role("cash")
    e = journal_post(on=today, description="salah", by=bendahara, lines=_ok_lines("700"))
    r = journal_reverse(entry=e, on=today, reason="salah input", by=bendahara)
    assert r.reverses_id == e.pk and r.source == "reversal"
    assert account_balance(account=cash) == 0
    assert AuditEvent.objects.filter(action="ledger.entry.reverse", target_id=str(r.pk)).exists()
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=e, on=today, reason="lagi", by=bendahara)
    assert exc.value.code == "already_reversed"
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=r, on=today, reason="balik", by=bendahara)
    assert exc.value.code == "reversal_not_reversible"
    with pytest.raises(ApplicationError) as exc:
        journal_reverse(entry=e, on=today, reason="", by=bendahara)
    assert exc.value.code == "reason_required"
    assert balances_check() == []


def test_large_entry_uses_bulk_path(in_tenant_a, bendahara, today):
    wajib = account_for_role("savings_wajib")
    n = 20_000
    lines = [LineSpec(wajib, credit=D("100000"), member_id=i, memo=f"m{i}") for i in range(n)]
    lines.append(LineSpec("1102", debit=D("100000") * n, memo='bank, "gaji"\nNov'))
    import time

    t0 = time.perf_counter()
    e = journal_post(
        on=today,
        description="Potong gaji besar",
        source="deduction",
        source_ref="big",
        by=bendahara,
        lines=lines,
    )
    elapsed = time.perf_counter() - t0
    assert e.lines.count() == n + 1
    assert e.lines.get(account__code="1102").memo == 'bank, "gaji"\nNov'
    assert e.lines.get(member_id=5).memo == "m5"
    assert account_balance(account=wajib, member_id=123) == D("100000")
    assert balances_check() == []
    assert elapsed < 10, elapsed


def test_reserved_entry_id_is_the_posted_entry(in_tenant_a, bendahara, today):
    reserved = journal_entry_id_reserve()
    later = journal_post(on=today, description="lain", by=bendahara, lines=_ok_lines())
    assert later.pk != reserved  # a reserved id is not handed to anybody else
    e = journal_post(
        on=today, description="Batch", by=bendahara, lines=_ok_lines(), entry_id=reserved
    )
    assert e.pk == reserved and e.number == later.number + 1  # numbers still in posting order


def test_large_entry_copied_in_chunks_keeps_every_line_in_order(
    in_tenant_a, bendahara, today, monkeypatch
):
    """An entry of more lines than one COPY takes (``COPY_CHUNK``, here 7) is written by
    several, each line once, in the order given, with its memo as given."""
    from core.ledger.services import posting

    monkeypatch.setattr(posting, "COPY_CHUNK", 7)
    wajib = account_for_role("savings_wajib")
    n = 300  # over COPY_THRESHOLD: the COPY path
    lines = [
        LineSpec(wajib, credit=D(1000 + i), member_id=i + 1, memo=f'm{i}, "x"') for i in range(n)
    ]
    lines.append(LineSpec("1102", debit=sum((D(1000 + i) for i in range(n)), D(0)), memo="bank"))
    e = journal_post(
        on=today,
        description="Banyak baris",
        source="deduction",
        source_ref="chunks",
        by=bendahara,
        lines=lines,
    )
    got = list(e.lines.order_by("pk").values_list("credit", "debit", "member_id", "memo"))
    assert got == [(D(1000 + i), D(0), i + 1, f'm{i}, "x"') for i in range(n)] + [
        (D(0), sum((D(1000 + i) for i in range(n)), D(0)), None, "bank")
    ]
    assert balances_check() == []
