"""The SHU of a member who died during the year (pro rata to the day of death, posted
after the RAT) is paid to the heirs, as the exit settlement paid them: split by their
shares in whole rupiah, named on the receipt (each signs for their part), not to the
deceased member."""

import io
from datetime import date
from decimal import Decimal

from django.test import Client
from pypdf import PdfReader

from core.exits.services import exit_settlement_confirm
from core.members.services import heir_add
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_payout, shu_post, yearend_close

from .conftest import YEAR, close_preliminaries

D = Decimal
RAT = date(YEAR + 1, 3, 1)


def _pdf_text(content: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_deceased_members_shu_is_paid_to_the_heirs_by_their_shares(year_data, staff):
    by, m2 = year_data["by"], year_data["m2"]
    heir_add(member=m2, by=by, full_name="Maria Tingang", relationship="istri", share_percent=60)
    heir_add(member=m2, by=by, full_name="Yohanes Tingang", relationship="anak", share_percent=40)
    exit_settlement_confirm(member=m2, reason="deceased", on=date(YEAR, 9, 30), by=by)
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="03/RAT", by=by)
    share = MemberShare.objects.get(member=m2)
    assert share.total > 0  # pro rata to the day of death

    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    r = c.post(
        f"/api/v1/yearend/{YEAR}/payout/",
        {"method": "cash", "on": f"{YEAR + 1}-03-05", "items": [{"member_id": m2.pk}]},
        "application/json",
    )
    assert r.status_code == 201, r.content
    [paid] = r.json()["paid"]
    payout = ShuPayout.objects.get(share=share)
    assert paid["heirs"] == payout.heirs
    parts = {h["name"]: D(h["amount"]) for h in payout.heirs}
    assert set(parts) == {"Maria Tingang", "Yohanes Tingang"}
    assert sum(parts.values()) == share.total
    assert all(v == v.to_integral_value() for v in parts.values())
    assert abs(parts["Maria Tingang"] - share.total * D("0.6")) < 1  # 60 %, whole rupiah

    r = c.get(f"/tutup-buku/kuitansi/{payout.pk}.pdf")
    assert r.status_code == 200
    text = _pdf_text(r.content)
    assert "Ahli waris" in text and "meninggal" in text.lower()
    for name, amount in parts.items():
        assert name in text
        assert f"{int(amount):,}".replace(",", ".") in text


def test_a_living_leavers_payout_names_no_heirs(year_data, staff):
    by, m2 = year_data["by"], year_data["m2"]
    heir_add(member=m2, by=by, full_name="Maria Tingang", relationship="istri", share_percent=60)
    exit_settlement_confirm(member=m2, reason="resigned", on=date(YEAR, 9, 30), by=by)
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="03/RAT", by=by)
    [payout] = shu_payout(
        year=YEAR, items=[(m2.pk, None)], method="cash", by=by, on=date(YEAR + 1, 3, 5)
    )
    assert ShuPayout.objects.get(pk=payout.pk).heirs == []
