"""Purpose savings (berjangka, e.g. Simpanan Hari Raya) brought in by the move-in's member
import: a balance column per active berjangka product, the member's account opened with
the product's monthly amount and payout date, the opening balance on the product's own
ledger account in the import's opening entry, reconciled against the old trial balance
and removed by the undo. Bad values are row errors and nothing is posted."""

import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from core.common.errors import ApplicationError
from core.ledger.models import Account, JournalEntry, JournalLine
from core.ledger.selectors import account_balance
from core.members.models import Member
from core.onboarding.selectors import move_in_reconciliation
from core.onboarding.services import move_in_go_live, move_in_undo, trial_balance_post
from core.savings.member_import import (
    import_parse,
    import_template_csv,
    import_template_xlsx,
    import_validate,
    member_import_run,
    member_import_upload,
)
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from tenants.services import tenant_host
from tests.members.test_import import rows as member_rows
from tests.members.test_import import to_csv

from .helpers import TB, arrears_row, loan_row

HARI_RAYA = D("700000")  # seven months of Rp 100.000 saved in the old books


@pytest.fixture
def hari_raya(in_tenant_a, cutover):
    """The seeded Simpanan Hari Raya (SHR: Rp 100.000 a month for 10 months), paid out
    five months after the cut-over."""
    p = SavingsProduct.objects.get(code="SHR")
    assert p.kind == SavingsProduct.Kind.BERJANGKA and p.term_months == 10
    p.payout_date = cutover + timedelta(days=150)
    p.save(update_fields=["payout_date"])
    return p


def _tb(**changes):
    tb = dict(TB)
    tb.update(changes)
    return [
        {"row": i, "account": c, "debit": d, "credit": k}
        for i, (c, (d, k)) in enumerate(tb.items(), start=2)
    ]


# the helpers' trial balance with the two members' Hari Raya (2 × 700.000) in the old books
TB_HARI_RAYA = {"2102": ("", "1400000"), "3103": ("", "57580000")}


@pytest.fixture
def opened(move_in, by, members, product, cutover, agencies, hari_raya):
    """The helpers' trial balance with the Hari Raya line posted and its two loans
    brought in; members and savings not imported yet."""
    from core.onboarding.loans_import import loans_import

    trial_balance_post(move_in=move_in, rows=_tb(**TB_HARI_RAYA), by=by)
    loans_import(
        move_in=move_in,
        rows=[loan_row(members[0], cutover), arrears_row(members[1], cutover)],
        by=by,
    )
    return move_in


def _import(by, cutover, data, file_name="a.csv"):
    content = to_csv(data) if file_name.endswith(".csv") else _xlsx(data)
    batch = member_import_upload(content=content, file_name=file_name, by=by)
    assert batch.status == "valid", batch.errors
    return member_import_run(batch=batch, opening_date=cutover, by=by)


def _xlsx(data) -> bytes:
    wb = Workbook()
    ws = wb.active
    header = list(data[0].keys())
    ws.append(header)
    for r in data:
        ws.append([r[h] for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _state():
    return (
        Member.objects.count(),
        SavingsAccount.objects.count(),
        SavingsTransaction.objects.count(),
        JournalEntry.objects.count(),
    )


# --------------------------------------------------------------------------- happy path


def test_hari_raya_balance_opens_the_account_on_its_ledger_account_and_reconciles(
    opened, by, cutover, hari_raya
):
    move_in = opened
    batch = _import(by, cutover, member_rows(2, saldo_shr="700.000"))

    accounts = list(SavingsAccount.objects.filter(product=hari_raya).select_related("member"))
    assert len(accounts) == 2
    for acc in accounts:
        assert acc.balance == HARI_RAYA
        assert acc.status == "open"
        # opened as a berjangka account is: the product's monthly amount and payout date
        assert acc.monthly_amount == D("100000")
        assert acc.payout_date == hari_raya.payout_date
        assert acc.number == f"{acc.member.number}-SHR"
        (txn,) = acc.transactions.all()
        assert (txn.kind, txn.on, txn.amount) == ("opening", cutover, HARI_RAYA)
        assert txn.journal_entry_id == batch.journal_entry_id
    # the same opening entry as the other balances, crediting the product's account (2102)
    lines = JournalLine.objects.filter(entry_id=batch.journal_entry_id, account=hari_raya.account)
    assert hari_raya.account.code == "2102"
    assert sorted(ln.credit for ln in lines) == [HARI_RAYA, HARI_RAYA]
    assert {ln.member_id for ln in lines} == {a.member_id for a in accounts}
    assert batch.summary["totals"]["SHR"] == "1400000"

    rec = move_in_reconciliation(move_in=move_in)
    row = next(r for r in rec["rows"] if r["account"] == "2102")
    assert (row["trial_balance"], row["subledger"], row["difference"], row["items"]) == (
        "1400000",
        "1400000",
        "0",
        2,
    )
    assert rec["agrees"], rec
    move_in_go_live(move_in=move_in, by=by)
    acc = hari_raya.account
    assert account_balance(account=acc, as_of=cutover) * acc.sign == D("-1400000")
    assert account_balance(account=Account.objects.get(code="3106"), as_of=cutover) == 0


def test_hari_raya_missing_from_the_import_is_a_reconciliation_difference(opened, by, cutover):
    move_in = opened
    data = member_rows(2, saldo_shr="700000")
    data[1]["saldo_shr"] = ""  # only the first member's Hari Raya is in the file
    _import(by, cutover, data)
    rec = move_in_reconciliation(move_in=move_in)
    diffs = {r["account"]: r["difference"] for r in rec["rows"] if r["difference"] != "0"}
    assert diffs == {"2102": "-700000"}
    with pytest.raises(ApplicationError) as e:
        move_in_go_live(move_in=move_in, by=by)
    assert e.value.code == "onboarding_not_reconciled"


def test_undo_removes_the_hari_raya_accounts_and_their_opening(
    opened, by, staff, cutover, hari_raya
):
    move_in = opened
    _import(by, cutover, member_rows(2, saldo_shr="700.000"))
    move_in_go_live(move_in=move_in, by=by)
    assert SavingsAccount.objects.filter(product=hari_raya).count() == 2

    move_in_undo(move_in=move_in, reason="salah berkas", by=staff["admin"])
    assert not SavingsAccount.objects.filter(product=hari_raya).exists()
    assert not SavingsTransaction.objects.filter(account__product=hari_raya).exists()
    assert account_balance(account=hari_raya.account, as_of=cutover) == 0
    assert account_balance(account=Account.objects.get(code="3106"), as_of=cutover) == 0


def test_xlsx_with_dotted_rupiah_and_a_recognisable_header(by, cutover, agencies, hari_raya):
    """A treasurer's own header ("Saldo Simpanan Hari Raya") and amounts typed as
    1.234.567 or given as numbers are read."""
    hari_raya.amount = D("200000")  # up to Rp 2.000.000 over the 10 months
    hari_raya.save(update_fields=["amount"])
    data = member_rows(2)
    for r, v in zip(data, ["1.234.567", 600000], strict=True):
        r["Saldo Simpanan Hari Raya"] = v
    _import(by, cutover, data, file_name="a.xlsx")
    got = sorted(SavingsAccount.objects.filter(product=hari_raya).values_list("balance", flat=True))
    assert got == [D("600000"), D("1234567")]
    assert set(
        SavingsAccount.objects.filter(product=hari_raya).values_list("monthly_amount", flat=True)
    ) == {D("200000")}


def test_header_by_name_without_simpanan_and_by_code_are_the_same_product(
    by, cutover, agencies, hari_raya
):
    data = member_rows(1, saldo_hari_raya="300000")
    _import(by, cutover, data)
    assert SavingsAccount.objects.get(product=hari_raya).balance == D("300000")
    both = member_rows(1, saldo_hari_raya="300000", saldo_shr="300000")
    with pytest.raises(ApplicationError) as e:
        import_parse(content=to_csv(both), file_name="a.csv")
    assert e.value.code == "import_bad_columns"
    assert "saldo_hari_raya" in e.value.message and "saldo_shr" in e.value.message


def test_zero_or_empty_hari_raya_opens_no_account(by, cutover, agencies, hari_raya):
    _import(by, cutover, member_rows(1, saldo_shr="") + member_rows(1, saldo_shr="-"))
    assert not SavingsAccount.objects.filter(product=hari_raya).exists()


def test_next_payroll_list_asks_the_monthly_amount_up_to_the_term(by, cutover, agencies, hari_raya):
    from core.deductions.models import DeductionLine
    from tests.deductions.conftest import make_run

    _import(by, cutover, member_rows(1, saldo_shr="700.000") + member_rows(1, saldo_shr="950000"))
    run = make_run(on=cutover + timedelta(days=1), by=by)
    asked = {}
    for line in DeductionLine.objects.filter(run=run):
        for p in line.purposes:
            asked[p["number"]] = D(p["amount"])
    accounts = {a.number: a.balance for a in SavingsAccount.objects.filter(product=hari_raya)}
    assert {accounts[n]: v for n, v in asked.items()} == {
        D("700000"): D("100000"),
        D("950000"): D("50000"),  # only what is left of the Rp 1.000.000 term
    }


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-100000", "tidak boleh negatif"),
        ("100000,50", "sen"),
        ("seratus ribu", "bukan angka"),
        ("1.100.000", "melebihi total Simpanan Hari Raya"),
    ],
)
def test_bad_hari_raya_value_is_a_row_error_and_nothing_is_posted(
    by, cutover, agencies, hari_raya, value, message
):
    data = member_rows(2) + member_rows(1, saldo_shr=value)
    data[0]["saldo_shr"] = "700000"
    before = _state()
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=by)
    assert batch.status == "invalid"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "saldo_shr")]
    assert message in batch.errors[0]["message"], batch.errors
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=cutover, by=by)
    assert e.value.code == "import_invalid_rows"
    assert e.value.fields["rows"][0]["row"] == 4
    assert _state() == before


def test_over_the_term_names_the_product_total(by, cutover, agencies, hari_raya):
    checked = import_validate(
        import_parse(content=to_csv(member_rows(1, saldo_shr="1000001")), file_name="a.csv")
    )
    (err,) = checked.errors
    assert "Rp 1.000.001" in err.message and "Rp 1.000.000" in err.message
    assert "10" in err.message  # 10 months of Rp 100.000
    # the full term is fine
    ok = import_validate(
        import_parse(content=to_csv(member_rows(1, saldo_shr="1000000")), file_name="a.csv")
    )
    assert ok.ok, ok.errors


def test_balance_for_a_product_that_does_not_exist(by, cutover, agencies, hari_raya):
    before = _state()
    data = member_rows(2, saldo_qurban="")
    data[1]["saldo_qurban"] = "500000"
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=by)
    assert batch.status == "invalid"
    (err,) = batch.errors
    assert (err["row"], err["column"]) == (3, "saldo_qurban")
    assert "Tidak ada produk simpanan" in err["message"] and "saldo_shr" in err["message"]
    assert _state() == before


def test_balance_for_a_product_that_is_not_berjangka(by, cutover, agencies, hari_raya):
    before = _state()
    batch = member_import_upload(
        content=to_csv(member_rows(1, saldo_ss="500000")), file_name="a.csv", by=by
    )
    assert batch.status == "invalid"
    (err,) = batch.errors
    assert (err["row"], err["column"]) == (2, "saldo_ss")
    assert "bukan simpanan berjangka" in err["message"] and "saldo_sukarela" in err["message"]
    assert _state() == before


def test_balance_for_an_inactive_berjangka_product(by, cutover, agencies, hari_raya):
    hari_raya.is_active = False
    hari_raya.save(update_fields=["is_active"])
    before = _state()
    batch = member_import_upload(
        content=to_csv(member_rows(1, saldo_shr="700000")), file_name="a.csv", by=by
    )
    assert batch.status == "invalid"
    (err,) = batch.errors
    assert (err["row"], err["column"]) == (2, "saldo_shr") and "tidak aktif" in err["message"]
    assert _state() == before


def test_product_deactivated_between_upload_and_import_posts_nothing(
    by, cutover, agencies, hari_raya
):
    batch = member_import_upload(
        content=to_csv(member_rows(1, saldo_shr="700000")), file_name="a.csv", by=by
    )
    assert batch.status == "valid"
    hari_raya.is_active = False
    hari_raya.save(update_fields=["is_active"])
    before = _state()
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=cutover, by=by)
    assert e.value.code == "import_invalid_rows"
    assert _state() == before


# --------------------------------------------------------------------------- template, screen


def test_templates_carry_a_column_per_active_berjangka_product(by, agencies, hari_raya):
    SavingsProduct.objects.create(
        code="SQB",
        name="Simpanan Qurban",
        kind="berjangka",
        account=hari_raya.account,
        amount=D("150000"),
        term_months=12,
    )
    SavingsProduct.objects.create(
        code="SLAMA",
        name="Simpanan Lama",
        kind="berjangka",
        account=hari_raya.account,
        amount=D("10000"),
        term_months=12,
        is_active=False,
    )
    csv_header = import_template_csv().decode("utf-8-sig").splitlines()[0].split(",")
    assert csv_header[-2:] == ["saldo_shr", "saldo_sqb"]
    wb = load_workbook(io.BytesIO(import_template_xlsx()))
    assert [c.value for c in wb["anggota"][1]][-2:] == ["saldo_shr", "saldo_sqb"]
    help_rows = {r[0]: r[2] for r in wb["petunjuk"].iter_rows(values_only=True)}
    assert "Simpanan Hari Raya" in help_rows["saldo_shr"]
    assert "Rp 1.000.000" in help_rows["saldo_shr"]  # the most it takes: 10 × Rp 100.000
    assert "Simpanan Qurban" in help_rows["saldo_sqb"]
    assert "saldo_slama" not in help_rows
    # the template's own example row goes through
    for content, name in ((import_template_csv(), "t.csv"), (import_template_xlsx(), "t.xlsx")):
        checked = import_validate(import_parse(content=content, file_name=name))
        assert checked.ok, checked.errors
        assert checked.rows[0]["balances"]["SHR"] > 0


def test_preview_screen_shows_the_hari_raya_total(by, tenant_a, cutover, agencies, hari_raya):
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(by)
    f = io.BytesIO(to_csv(member_rows(2, saldo_shr="700.000")))
    f.name = "anggota.csv"
    r = c.post("/anggota/impor/", {"file": f})
    assert r.status_code == 302, r.content.decode()[-2000:]
    html = c.get(r.url).content.decode()
    assert "Simpanan Hari Raya" in html and "Rp 1.400.000" in html
    bad = io.BytesIO(to_csv(member_rows(1, saldo_shr="-5")))
    bad.name = "anggota.csv"
    r = c.post("/anggota/impor/", {"file": bad})
    html = c.get(r.url).content.decode()
    assert "saldo_shr" in html and "tidak boleh negatif" in html


def test_import_page_and_move_in_step_name_the_berjangka_columns(by, tenant_a, move_in, hari_raya):
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(by)
    html = c.get("/anggota/impor/").content.decode()
    assert "<code>saldo_shr</code>: Simpanan Hari Raya (Rp 100.000 × 10 bulan" in html
    html = c.get("/pindah/").content.decode()
    assert "<code>saldo_shr</code> (Simpanan Hari Raya)" in html


def test_payout_date_passed_at_the_opening_date_is_refused_naming_the_product(
    by, cutover, agencies, hari_raya
):
    """A product whose payout date has passed by the opening date (last year's, not moved
    yet) would make every brought-in balance due at once and keep it off the payroll
    lists: the import is refused, naming the product and its date, and posts nothing."""
    hari_raya.payout_date = cutover - timedelta(days=10)
    hari_raya.save(update_fields=["payout_date"])
    batch = member_import_upload(
        content=to_csv(member_rows(1, saldo_shr="700000")), file_name="a.csv", by=by
    )
    assert batch.status == "valid"
    before = _state()
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=cutover, by=by)
    assert e.value.code == "import_invalid_rows"
    assert hari_raya.name in str(e.value.message) and "tanggal pencairan" in str(e.value.message)
    assert _state() == before
