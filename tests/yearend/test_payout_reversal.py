"""Reversing one SHU payout (``shu_payout_reverse``): the reversing entry mirrors that
payout's own lines of its batch entry (the batch's other members untouched), the share
is unpaid again and can be paid again, a sukarela credit is taken back (refused when
withdrawn since), the receipt says *dibatalkan* with the reason; a second reversal, one
in a closed month, one without a reason or by a petugas: refused, nothing written."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.exits.services import exit_settlement_confirm
from core.ledger.models import JournalEntry, Period
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import period_close
from core.loans.models import Loan
from core.members.models import Member
from core.members.services import heir_add
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import teller_withdraw
from core.users.models import User
from core.yearend.models import MemberShare, ShuPayout, YearEnd
from core.yearend.reversal import shu_payout_reverse
from core.yearend.services import shu_payout, shu_post, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f
from tests.module_coop import client_for, entered, module_cooperative

from .conftest import YEAR, close_preliminaries, interest_run_in_order, year_of

D = Decimal
RAT = date(YEAR + 1, 3, 1)
ON = date(YEAR + 1, 3, 2)


def _build_posted() -> dict:
    """The conftest's year, closed and its SHU posted after the RAT (nothing paid)."""
    staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
    data = year_of(staff)
    by = data["by"]
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="05/RAT", by=by)
    return {
        "staff": {r: u.pk for r, u in staff.items()},
        "members": {k: data[k].pk for k in ("m1", "m2", "m3")},
        "loan": data["loan"].pk,
    }


@pytest.fixture(scope="module")
def posted_coop(django_db_setup, django_db_blocker, tmp_path_factory):
    """The posted year, built once for the module in a cooperative of its own
    (committed); each test works on it inside its own rolled-back transaction."""
    with module_cooperative(django_db_blocker, tmp_path_factory, "posted", _build_posted) as made:
        yield made


@pytest.fixture
def posted(db, posted_coop):
    coop, ids = posted_coop
    with entered(coop):
        staff = {r: User.objects.get(pk=pk) for r, pk in ids["staff"].items()}
        by = staff["bendahara"]
        data = {k: Member.objects.get(pk=pk) for k, pk in ids["members"].items()}
        ye = YearEnd.objects.get(year=YEAR)
        shares = {s.member_id: s for s in MemberShare.objects.filter(year_end=ye)}
        c = client_for(coop)
        c.force_login(by)
        yield data | {
            "loan": Loan.objects.get(pk=ids["loan"]),
            "by": by,
            "staff": staff,
            "tenant": coop,
            "shares": shares,
            "client": c,
        }


def _owed(member) -> Decimal:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member.pk)


def _bal(role: str) -> Decimal:
    return account_balance(account=account_for_role(role))


def _lines(entry):
    return [
        (ln.account_id, ln.debit, ln.credit, ln.member_id, ln.memo)
        for ln in entry.lines.order_by("id")
    ]


def _pdf_text(content: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_reversing_one_cash_payout_of_a_batch_mirrors_its_lines_and_restores_the_share(posted):
    by, m1, m2, shares = posted["by"], posted["m1"], posted["m2"], posted["shares"]
    a1, a2 = shares[m1.pk].total, shares[m2.pk].total
    assert a1 > 0 and a2 > 0
    cash0, payable0 = _bal("cash"), _bal("shu_members_payable")
    p1, p2 = shu_payout(
        year=YEAR, items=[(m1.pk, None), (m2.pk, None)], method="cash", by=by, on=ON
    )
    assert p1.entry_id == p2.entry_id  # one entry for the batch
    assert _bal("cash") == cash0 - a1 - a2
    assert _owed(m1) == 0 and _owed(m2) == 0

    done = shu_payout_reverse(payout=p1, reason="salah anggota", by=by)

    rev = done.reversal_entry
    assert rev.source == "shu" and rev.date == timezone.localdate()
    assert rev.source_ref == f"yearend:{YEAR}:payout:{p1.pk}:reverse"
    payable, cash = account_for_role("shu_members_payable"), account_for_role("cash")
    memo = f"SHU {YEAR}"
    # the original's own lines (its payable line; the batch cash line for its amount)...
    orig = _lines(p1.entry)
    assert (payable.pk, a1, D("0"), m1.pk, memo) in orig
    assert (cash.pk, D("0"), a1 + a2, None, memo) in orig
    # ...mirrored line by line, debit and credit swapped, nothing of m2's
    assert _lines(rev) == [(payable.pk, D("0"), a1, m1.pk, memo), (cash.pk, a1, D("0"), None, memo)]
    # figures: m1 owed again, the cash back, m2 untouched
    assert _owed(m1) == a1 and _owed(m2) == 0
    assert _bal("cash") == cash0 - a2
    assert _bal("shu_members_payable") == payable0 - a2
    assert MemberShare.objects.get(pk=shares[m1.pk].pk).paid == 0
    assert MemberShare.objects.get(pk=shares[m2.pk].pk).paid == a2
    # the payout and its receipt kept, marked reversed with the reason
    row = ShuPayout.objects.get(pk=p1.pk)
    assert row.receipt_number == p1.receipt_number and row.reversal_reason == "salah anggota"
    ev = AuditEvent.objects.get(action="yearend.shu.payout.reverse")
    assert ev.reason == "salah anggota" and ev.data["amount"] == str(a1)

    # a second reversal refused, nothing more written
    with pytest.raises(ApplicationError) as exc:
        shu_payout_reverse(payout=p1, reason="lagi", by=by)
    assert exc.value.code == "shu_payout_already_reversed"
    assert JournalEntry.objects.filter(source_ref__endswith=":reverse").count() == 1
    assert _owed(m1) == a1

    # paid again, correctly this time (by bank)
    [again] = shu_payout(
        year=YEAR, items=[(m1.pk, None)], method="bank", by=by, on=timezone.localdate()
    )
    assert again.amount == a1 and _owed(m1) == 0
    assert MemberShare.objects.get(pk=shares[m1.pk].pk).paid == a1


def test_receipt_and_year_page_say_dibatalkan_with_the_reason(posted):
    by, m1, c = posted["by"], posted["m1"], posted["client"]
    [p] = shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=ON)
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert f'action="/tutup-buku/pembayaran/{p.pk}/batalkan/"' in page
    # the page's button: without a reason nothing happens
    r = c.post(f"/tutup-buku/pembayaran/{p.pk}/batalkan/", {"reason": " "}, follow=True)
    assert [str(m) for m in r.context["messages"]] == ["Alasan pembatalan wajib diisi."]
    assert ShuPayout.objects.get(pk=p.pk).reversed_at is None
    r = c.post(f"/tutup-buku/pembayaran/{p.pk}/batalkan/", {"reason": "jumlah keliru"}, follow=True)
    assert "dibatalkan" in str(list(r.context["messages"])[0])
    page = r.content.decode()
    assert f'id="reversed-{p.pk}"' in page and "jumlah keliru" in page
    assert f'action="/tutup-buku/pembayaran/{p.pk}/batalkan/"' not in page
    text = _pdf_text(c.get(f"/tutup-buku/kuitansi/{p.pk}.pdf").content)
    assert "DIBATALKAN" in text and "jumlah keliru" in text and p.receipt_number in text


def test_the_receipt_gives_the_amount_in_words(posted):
    """The SHU payout's kuitansi says the amount in words beside the figure."""
    from core.common.money import format_rupiah, rupiah_in_words

    by, m1, c = posted["by"], posted["m1"], posted["client"]
    [p] = shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=ON)
    text = " ".join(_pdf_text(c.get(f"/tutup-buku/kuitansi/{p.pk}.pdf").content).split())
    assert format_rupiah(p.amount) in text
    assert "Terbilang" in text and rupiah_in_words(p.amount) in text
    assert rupiah_in_words(p.amount).endswith(" rupiah") and p.amount > 0


def test_a_petugas_cannot_reverse(posted):
    by, m1, staff, tenant_a = posted["by"], posted["m1"], posted["staff"], posted["tenant"]
    [p] = shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=ON)
    with pytest.raises(ApplicationError) as exc:
        shu_payout_reverse(payout=p, reason="x", by=staff["petugas"])
    assert exc.value.status_code == 403
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["petugas"])
    assert c.post(f"/tutup-buku/pembayaran/{p.pk}/batalkan/", {"reason": "x"}).status_code == 403
    r = c.post(
        f"/api/v1/yearend/payouts/{p.pk}/reverse/", {"reason": "x"}, content_type="application/json"
    )
    assert r.status_code == 403
    assert ShuPayout.objects.get(pk=p.pk).reversed_at is None


def test_a_sukarela_credit_is_taken_back_and_its_line_mirrored(posted):
    by, m1, m2, shares = posted["by"], posted["m1"], posted["m2"], posted["shares"]
    a1, a2 = shares[m1.pk].total, shares[m2.pk].total
    acc2 = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    before = acc2.balance
    _p1, p2 = shu_payout(
        year=YEAR, items=[(m1.pk, None), (m2.pk, None)], method="sukarela", by=by, on=ON
    )
    acc2.refresh_from_db()
    assert acc2.balance == before + a2
    sukarela = acc2.product.account
    bal_sukarela = account_balance(account=sukarela)

    rev = shu_payout_reverse(payout=p2, reason="salah cara", by=by).reversal_entry

    acc2.refresh_from_db()
    assert acc2.balance == before
    assert account_balance(account=sukarela) == bal_sukarela - a2
    [orig_line] = [ln for ln in _lines(p2.entry) if ln[0] == sukarela.pk and ln[3] == m2.pk]
    payable = account_for_role("shu_members_payable")
    assert _lines(rev) == [
        (payable.pk, D("0"), a2, m2.pk, f"SHU {YEAR}"),
        (sukarela.pk, orig_line[2], orig_line[1], m2.pk, orig_line[4]),
    ]
    back = SavingsTransaction.objects.get(account=acc2, kind="reversal")
    assert back.delta == -a2 and back.journal_entry_id == rev.pk
    assert _owed(m2) == a2 and _owed(m1) == 0
    assert MemberShare.objects.get(pk=shares[m2.pk].pk).paid == 0
    assert MemberShare.objects.get(pk=shares[m1.pk].pk).paid == a1


def test_a_sukarela_credit_withdrawn_since_is_refused(posted):
    by, m2, shares = posted["by"], posted["m2"], posted["shares"]
    acc2 = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    [p2] = shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=ON)
    acc2.refresh_from_db()
    teller_withdraw(account=acc2, amount=acc2.balance - D("1000"), channel="cash", on=ON, by=by)
    acc2.refresh_from_db()
    assert acc2.balance == D("1000") < shares[m2.pk].total
    with pytest.raises(ApplicationError) as exc:
        shu_payout_reverse(payout=p2, reason="salah", by=by)
    assert exc.value.code == "shu_payout_reversal_withdrawn"
    assert "sudah ditarik" in exc.value.message and acc2.number in exc.value.message
    acc2.refresh_from_db()
    assert acc2.balance == D("1000")
    assert ShuPayout.objects.get(pk=p2.pk).reversed_at is None
    assert _owed(m2) == 0


def test_a_payout_in_a_closed_month_is_refused(posted):
    by, m1, c = posted["by"], posted["m1"], posted["client"]
    [p] = shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=ON)
    button = f'action="/tutup-buku/pembayaran/{p.pk}/batalkan/"'
    assert button in c.get(f"/tutup-buku/{YEAR}/").content.decode()
    for period in Period.objects.filter(fiscal_year__year=YEAR + 1, month__lte=3).order_by("month"):
        period_close(period=period, by=by)
    with pytest.raises(ApplicationError) as exc:
        shu_payout_reverse(payout=p, reason="salah", by=by)
    assert exc.value.code == "shu_payout_reversal_period_closed"
    assert ShuPayout.objects.get(pk=p.pk).reversed_at is None
    assert _owed(m1) == 0
    # the year page no longer offers what would be refused
    assert button not in c.get(f"/tutup-buku/{YEAR}/").content.decode()


def test_api_reverses_with_a_reason_and_refuses_without(posted):
    by, m1, c, shares = posted["by"], posted["m1"], posted["client"], posted["shares"]
    [p] = shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=ON)
    url = f"/api/v1/yearend/payouts/{p.pk}/reverse/"
    r = c.post(url, {"reason": ""}, content_type="application/json")
    assert r.status_code == 400 and ShuPayout.objects.get(pk=p.pk).reversed_at is None
    r = c.post(url, {"reason": "dobel", "on": "2999-01-01"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "shu_payout_reversal_date"
    r = c.post(url, {"reason": "dobel"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["reversal_reason"] == "dobel" and D(body["unpaid"]) == shares[m1.pk].total
    assert body["reversal_entry"] == str(ShuPayout.objects.get(pk=p.pk).reversal_entry)
    r = c.post(url, {"reason": "dobel"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "shu_payout_already_reversed"
    assert (
        c.post(
            "/api/v1/yearend/payouts/999999/reverse/",
            {"reason": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    schema = c.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    op = schema["paths"]["/api/v1/yearend/payouts/{id}/reverse/"]["post"]
    assert "200" in op["responses"]
    req = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "reason" in schema["components"]["schemas"][req]["required"]


def test_heirs_payout_reverses_as_a_whole(year_data, staff):
    by, m2 = year_data["by"], year_data["m2"]
    heir_add(member=m2, by=by, full_name="Maria Tingang", relationship="istri", share_percent=60)
    heir_add(member=m2, by=by, full_name="Yohanes Tingang", relationship="anak", share_percent=40)
    exit_settlement_confirm(member=m2, reason="deceased", on=date(YEAR, 9, 30), by=by)
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="03/RAT", by=by)
    share = MemberShare.objects.get(member=m2)
    [p] = shu_payout(year=YEAR, items=[(m2.pk, None)], method="cash", by=by, on=ON)
    assert len(p.heirs) == 2
    rev = shu_payout_reverse(payout=p, reason="ahli waris keliru", by=by).reversal_entry
    assert _owed(m2) == share.total  # the whole amount, both heirs' parts
    assert sum(ln.debit for ln in rev.lines.all()) == share.total
    assert MemberShare.objects.get(pk=share.pk).paid == 0
    assert len(ShuPayout.objects.get(pk=p.pk).heirs) == 2  # the record of who was paid kept


def _sukarela_interest(year: int, month: int, by):
    from core.savings.models import SavingsProduct

    product = SavingsProduct.objects.get(kind="sukarela", interest_enabled=True)
    return interest_run_in_order(product=product, year=year, month=month, by=by)


def test_api_reversal_dated_into_a_month_whose_sukarela_interest_ran_is_refused(posted):
    """The jasa of March was computed on a balance holding the SHU credit: a reversal
    dated in March would change it after the fact (the savings module's rule for every
    back-dated cancellation); from April on it is allowed."""
    by, m2, c, shares = posted["by"], posted["m2"], posted["client"], posted["shares"]
    acc2 = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    [p] = shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=ON)
    _sukarela_interest(ON.year, ON.month, by)
    acc2.refresh_from_db()
    balance = acc2.balance
    url = f"/api/v1/yearend/payouts/{p.pk}/reverse/"
    r = c.post(
        url,
        {"reason": "salah", "on": date(YEAR + 1, 3, 20).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "shu_payout_reversal_interest_run"
    assert f"Simpanan Sukarela bulan Maret {YEAR + 1} sudah dihitung" in err["message"], err
    assert "on" in err["fields"]
    # nothing written
    acc2.refresh_from_db()
    assert acc2.balance == balance and ShuPayout.objects.get(pk=p.pk).reversed_at is None
    assert _owed(m2) == 0 and not JournalEntry.objects.filter(source_ref__endswith=":reverse")
    # the service refuses the same way (its one rule for the web and the API)
    with pytest.raises(ApplicationError) as exc:
        shu_payout_reverse(payout=p, reason="salah", by=by, on=date(YEAR + 1, 3, 31))
    assert exc.value.code == "shu_payout_reversal_interest_run"
    # dated after the month whose jasa ran: allowed
    r = c.post(
        url,
        {"reason": "salah", "on": date(YEAR + 1, 4, 1).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    acc2.refresh_from_db()
    assert acc2.balance == balance - shares[m2.pk].total and _owed(m2) == shares[m2.pk].total
    assert ShuPayout.objects.get(pk=p.pk).reversal_entry.date == date(YEAR + 1, 4, 1)


def test_a_cash_payout_reversal_dated_back_is_not_held_by_the_sukarela_interest(posted):
    by, m1, c = posted["by"], posted["m1"], posted["client"]
    [p] = shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=ON)
    _sukarela_interest(ON.year, ON.month, by)
    url = f"/api/v1/yearend/payouts/{p.pk}/reverse/"
    r = c.post(
        url,
        {"reason": "salah", "on": date(YEAR + 1, 3, 20).isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert _owed(m1) == posted["shares"][m1.pk].total


def test_year_page_reversal_is_dated_today_after_the_payout_months_interest_ran(posted):
    """The year page's Batalkan has no date: it is dated today, and jasa is only ever run
    for a month that has ended, so the page is never refused by the rule (but the
    service it calls checks it all the same)."""
    by, m2, c = posted["by"], posted["m2"], posted["client"]
    [p] = shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=ON)
    _sukarela_interest(ON.year, ON.month, by)
    r = c.post(f"/tutup-buku/pembayaran/{p.pk}/batalkan/", {"reason": "salah"}, follow=True)
    assert "dibatalkan" in str(list(r.context["messages"])[0])
    assert ShuPayout.objects.get(pk=p.pk).reversal_entry.date == timezone.localdate()


def test_a_sukarela_credit_on_an_account_closed_since_is_not_offered_and_refused(posted):
    """The member left after the SHU was credited: the exit settlement paid the account
    out (SHU included) and closed it. The year page offered Batalkan and the click was
    refused with the savings module's bare "account closed"; now the button is not
    offered and the refusal names the payout, the account and what to do."""
    by, m2, c = posted["by"], posted["m2"], posted["client"]
    [p] = shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=ON)
    exit_settlement_confirm(member=m2, reason="resigned", on=date(YEAR + 1, 4, 1), by=by)
    acc2 = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    assert acc2.status == "closed"
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert f'action="/tutup-buku/pembayaran/{p.pk}/batalkan/"' not in page
    with pytest.raises(ApplicationError) as exc:
        shu_payout_reverse(payout=p, reason="salah", by=by)
    assert exc.value.code == "shu_payout_reversal_account_closed"
    assert exc.value.status_code == 409
    assert acc2.number in exc.value.message and "penyelesaian keluar" in exc.value.message
    r = c.post(
        f"/api/v1/yearend/payouts/{p.pk}/reverse/", {"reason": "x"}, content_type="application/json"
    )
    assert (
        r.status_code == 409 and r.json()["error"]["code"] == "shu_payout_reversal_account_closed"
    )
    assert ShuPayout.objects.get(pk=p.pk).reversed_at is None
    assert not JournalEntry.objects.filter(source_ref__endswith=":reverse").exists()
