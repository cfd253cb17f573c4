"""The confirmation's preview of a mixed return of ~300 rows, pinned figure by figure:
what ``deduction_import_plan`` and ``deduction_import_post_preview`` give (every
member's allocation, redirects and their texts, each loan's split on the posting date,
the batch's totals) is exactly what they gave before they were made faster for big
returns (issue #20: the confirmation of a 20,000-row return cost more than its upload).
Written against the code before that change.

Agency A: the fixture's m1 (a loan in arrears, prepaid at the counter since the list:
its share over-pays), m2 (a loan paid off since the list: its share goes to sukarela),
m3 (a berjangka account filled at the counter since the list) and 300 members imported
in one file (wajib only), cut in full, short, more, nothing or left out of the file; an
unknown member's row excluded."""

import csv
import io
from collections import Counter
from datetime import date
from decimal import Decimal as D

import pytest

from core.deductions import services as svc
from core.loans.models import Loan
from core.loans.schedules import add_months
from core.loans.services import loan_payoff, loan_repay
from core.savings.member_import import member_import_run, member_import_upload
from core.savings.models import SavingsProduct
from core.savings.services import savings_account_open, teller_deposit

from .conftest import csv_bytes, make_run

N = 300


def _nip(i: int) -> str:
    y, m, d = 1960 + i % 5, 1 + (i // 5) % 12, 1 + (i // 60) % 28
    return f"{y:04d}{m:02d}{d:02d}1990{1 + i % 12:02d}1{i % 999 + 1:03d}"


def _members_import(by, opening: date) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        ["nama_lengkap", "nip", "nik", "golongan", "kode_instansi", "tanggal_masuk"]
        + ["saldo_pokok", "saldo_wajib"]
    )
    for i in range(N):
        nip = _nip(i)
        nik = f"627101{int(nip[6:8]):02d}{nip[4:6]}{nip[2:4]}{i + 1:04d}"
        w.writerow(
            [f"Anggota Pin {i:03d}", nip, nik, "III/a", "DISDIK", "2015-01-02", "100000"]
            + [str(50_000 * (1 + i % 7))]
        )
    batch = member_import_upload(content=buf.getvalue().encode(), file_name="a.csv", by=by)
    assert batch.status == "valid", batch.errors[:3]
    member_import_run(batch=batch, opening_date=opening, by=by)


@pytest.fixture
def mixed(coop, cutoffs):
    prev, this = cutoffs
    by = coop["by"]
    m1, m2, m3, _m4 = coop["m"]
    _members_import(by, date(this.year - 1, 12, 1))
    product = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    acc = savings_account_open(
        member=m3, product=product, on=add_months(prev, -1), monthly_amount=D("100000")
    )
    run = make_run(on=this, by=by)
    lines = {ln.nip: ln for ln in run.lines.filter(agency=coop["agencies"][0])}
    assert len(lines) == N + 3
    # since the list: m1 prepays, m2 pays off, m3's account is filled but 30,000
    loan_repay(loan=coop["loans"]["m1"], amount=D("9700000"), by=by, on=this, excess_to="principal")
    assert Loan.objects.get(pk=coop["loans"]["m1"].pk).status == Loan.Status.DISBURSED
    loan_payoff(loan=coop["loans"]["m2"], by=by, on=this)
    target = D("100000") * product.term_months
    teller_deposit(account=acc, amount=target - D("30000"), channel="cash", on=this, by=by)
    rows = [
        (m1.nip, int(lines[m1.nip].total)),
        (m2.nip, int(lines[m2.nip].total) + 7000),
        (m3.nip, int(lines[m3.nip].total) + 5000),
        ("196001011990011999", 25000),  # unknown: excluded
    ]
    for i in range(N):
        asked = int(lines[_nip(i)].total)
        j = i % 10
        if j == 9:
            continue  # not in the file
        amount = {6: asked // 3, 7: asked + 10000 + i, 8: 0}.get(j, asked)
        rows.append((_nip(i), amount))
    imp = svc.deduction_import_upload(
        run=run, agency=coop["agencies"][0], content=csv_bytes(rows), file_name="r.csv", by=by
    )
    bad = [e["row"] for e in imp.errors]
    assert bad == [5], imp.errors[:3]
    imp = svc.deduction_import_exclude(imp=imp, rows=bad, by=by)
    assert imp.status == "valid"
    return imp, run, {"m1": coop["loans"]["m1"], "m2": coop["loans"]["m2"], "acc": acc}


def _plan_key(p) -> tuple:
    return (
        p.realized,
        p.in_file,
        tuple(sorted(p.paid.items())),
        p.to_sukarela,
        p.alloc.shortfall,
        p.alloc.excess,
        tuple(p.alloc.loans),
        tuple(p.alloc.purposes),
        tuple((r.kind, r.amount, r.jasa, r.principal, r.why) for r in p.redirects),
        tuple(sorted(p.purpose_fit.values())),
    )


def test_the_preview_of_a_mixed_return_is_what_it_was(coop, cutoffs, mixed):
    imp, run, refs = mixed
    m1, m2, m3, _m4 = coop["m"]
    # posted on this month's cut-off (the day of the counter payments), whatever today is
    on = svc.posting_date_clean(run, cutoffs[1])
    plans = svc.deduction_import_plan(imp)
    pv = svc.deduction_import_post_preview(imp=imp, on=on, plans=plans)
    svc.deduction_import_post_check(imp=imp, preview=pv)
    assert {k: _v(v) for k, v in pv.figures().items()} == FIGURES
    by_nip = {p.line.nip: p for p in plans}
    numbers = {refs["m1"].number: "<m1>", refs["m2"].number: "<m2>", refs["acc"].number: "<acc>"}

    def named(text: str) -> str:
        for n, tag in numbers.items():
            text = text.replace(n, tag)
        return text

    special = {
        k: (_plan_key(by_nip[m.nip]), [named(r.text) for r in by_nip[m.nip].redirects])
        for k, m in (("m1", m1), ("m2", m2), ("m3", m3))
    }
    assert special == SPECIAL
    bulk = Counter(_plan_key(by_nip[_nip(i)]) for i in range(N))
    assert bulk == Counter({**BULK, **MORE})
    assert [p.line.member_number for p in plans] == sorted(p.line.member_number for p in plans)
    assert {k: (v.penalty, v.jasa, v.principal, v.excess) for k, v in pv.loans.items()} == {
        refs["m1"].pk: LOAN_M1
    }
    assert [(named(r.text), r.amount, p.line.nip) for p, r in pv.overpaid()] == [
        ("Pinjaman <m1>: Rp 2.108.286 melebihi tagihannya, masuk sukarela", D("2108286"), m1.nip)
    ]
    # undated (a date the posting refuses): the allocation's split, penalty in jasa
    undated = svc.deduction_import_post_preview(imp=imp, on=None, plans=plans)
    assert undated.loans == {}
    assert {k: _v(v) for k, v in undated.figures().items()} == FIGURES_UNDATED


def _v(v):
    return D(v) if isinstance(v, D) else v


def _more(i: int) -> tuple:
    """A bulk member cut 10,000 + i more than asked (wajib 50,000)."""
    amount = D(60000 + i)
    paid = (("jasa", D(0)), ("others", D(0)), ("principal", D(0)), ("wajib", D(50000)))
    return (amount, True, paid, amount - 50000, D(0), amount - 50000, (), (), (), ())


FIGURES = {
    "penalty": D("0"),
    "jasa": D("6000.00"),
    "principal": D("85714.00"),
    "loans_to_sukarela": D("2108286.00"),
    "wajib": D("11149980.00"),
    "others": D("30000.00"),
    "to_sukarela": D("3594846.00"),
    "redirected": D("1170000.00"),
    "redirected_members": 2,
    "overpaid_loans": 1,
    "realized": D("14866540"),
    "asked": D("18550000.00"),
    "difference": D("-3683460.00"),
    "shortfall": D("4000020.00"),
    "short_members": 90,
    "members": 303,
    "not_in_file": 30,
    "excluded_rows": 1,
}
FIGURES_UNDATED = {
    "penalty": D("0"),
    "jasa": D("200000.00"),
    "principal": D("2000000.00"),
    "loans_to_sukarela": D("0"),
    "wajib": D("11149980.00"),
    "others": D("30000.00"),
    "to_sukarela": D("1486560.00"),
    "redirected": D("1170000.00"),
    "redirected_members": 2,
    "overpaid_loans": 0,
    "realized": D("14866540"),
    "asked": D("18550000.00"),
    "difference": D("-3683460.00"),
    "shortfall": D("4000020.00"),
    "short_members": 90,
    "members": 303,
    "not_in_file": 30,
    "excluded_rows": 1,
}
SPECIAL = {
    "m1": (
        (
            D("2250000"),
            True,
            (
                ("jasa", D("200000.00")),
                ("others", D("0.00")),
                ("principal", D("2000000.00")),
                ("wajib", D("50000.00")),
            ),
            D("0.00"),
            D("0.00"),
            D("0.00"),
            ((D("200000.00"), D("2000000.00")),),
            (),
            (),
            (),
        ),
        [],
    ),
    "m2": (
        (
            D("1157000"),
            True,
            (
                ("jasa", D("0.00")),
                ("others", D("0")),
                ("principal", D("0.00")),
                ("wajib", D("50000.00")),
            ),
            D("1107000.00"),
            D("0.00"),
            D("7000.00"),
            ((D("100000.00"), D("1000000.00")),),
            (),
            (("loan", D("1100000.00"), D("100000.00"), D("1000000.00"), "closed"),),
            (),
        ),
        ["Pinjaman <m2> sudah lunas: Rp 1.100.000 masuk sukarela"],
    ),
    "m3": (
        (
            D("155000"),
            True,
            (
                ("jasa", D("0")),
                ("others", D("30000.00")),
                ("principal", D("0")),
                ("wajib", D("50000.00")),
            ),
            D("75000.00"),
            D("0.00"),
            D("5000.00"),
            (),
            (D("100000.00"),),
            (("purpose", D("70000.00"), D("0"), D("0"), "full"),),
            (D("30000.00"),),
        ),
        ["Simpanan <acc> sudah penuh: Rp 70.000 masuk sukarela"],
    ),
}
BULK = {
    (
        D("0"),
        False,
        (("jasa", D("0")), ("others", D("0")), ("principal", D("0")), ("wajib", D("0"))),
        D("0"),
        D("50000.00"),
        D("0"),
        (),
        (),
        (),
        (),
    ): 30,
    (
        D("0"),
        True,
        (("jasa", D("0")), ("others", D("0")), ("principal", D("0")), ("wajib", D("0"))),
        D("0"),
        D("50000.00"),
        D("0"),
        (),
        (),
        (),
        (),
    ): 30,
    (
        D("16666"),
        True,
        (("jasa", D("0")), ("others", D("0")), ("principal", D("0")), ("wajib", D("16666"))),
        D("0"),
        D("33334.00"),
        D("0"),
        (),
        (),
        (),
        (),
    ): 30,
    (
        D("50000"),
        True,
        (("jasa", D("0")), ("others", D("0")), ("principal", D("0")), ("wajib", D("50000"))),
        D("0"),
        D("0.00"),
        D("0"),
        (),
        (),
        (),
        (),
    ): 180,
}
MORE = {_more(i): 1 for i in range(7, N, 10)}
LOAN_M1 = (D("0"), D("6000.00"), D("85714.00"), D("2108286.00"))
