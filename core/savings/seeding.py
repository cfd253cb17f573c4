"""Default savings products (a TENANT_SEEDER) and demo members with savings (a DEMO_SEEDER).
Both idempotent."""

import random
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.ledger.models import JournalEntry
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.members.models import Agency, Member
from core.members.services import member_numbers_reserve
from core.members.validators import parse_nip

from .models import SavingsAccount, SavingsProduct, SavingsTransaction, WajibRate
from .selectors import wajib_amount_for
from .services import (
    savings_account_get_or_open,
    savings_deposit_apply,
    teller_deposit,
    teller_withdraw,
    transactions_link_entry,
)

DEFAULT_PRODUCTS = [
    # code, name, kind, ledger role, fields
    ("SP", "Simpanan Pokok", "pokok", "savings_pokok", {"amount": Decimal("100000")}),
    (
        "SW",
        "Simpanan Wajib",
        "wajib",
        "savings_wajib",
        {"amount": Decimal("50000"), "amount_by_grade": True, "effective_from": date(2020, 1, 1)},
    ),
    (
        "SS",
        "Simpanan Sukarela",
        "sukarela",
        "savings_sukarela",
        {
            "interest_enabled": True,
            "interest_rate_annual": Decimal("3"),
            "interest_basis": "minimum",
            "tax_threshold": Decimal("240000"),
            "tax_rate": Decimal("10"),
        },
    ),
    (
        "SHR",
        "Simpanan Hari Raya",
        "berjangka",
        "savings_berjangka",
        {"amount": Decimal("100000"), "term_months": 10},
    ),
]
DEFAULT_WAJIB_RATES = {
    "I": Decimal("25000"),
    "II": Decimal("35000"),
    "III": Decimal("50000"),
    "IV": Decimal("75000"),
    "PPPK": Decimal("35000"),
}


@transaction.atomic
def savings_products_seed(*, cooperative=None) -> int:
    """TENANT_SEEDER: the four default products mapped to the ledger roles. Creates only
    what is missing (by code). Needs the chart of accounts (the ledger seeder runs first)."""
    created = 0
    for code, name, kind, role, extra in DEFAULT_PRODUCTS:
        if SavingsProduct.objects.filter(code=code).exists():
            continue
        product = SavingsProduct.objects.create(
            code=code, name=name, kind=kind, account=account_for_role(role), **extra
        )
        created += 1
        if kind == "wajib":
            for grade, amount in DEFAULT_WAJIB_RATES.items():
                WajibRate.objects.create(
                    product=product, grade=grade, amount=amount, effective_from=date(2020, 1, 1)
                )
    return created


# --- demo data --------------------------------------------------------------------------

DEMO_AGENCIES = [
    (
        "DISDIK-PKY",
        "Dinas Pendidikan Kota Palangka Raya",
        "Hj. Rahmawati, S.E.",
        "+6281349001122",
        "Jl. Tjilik Riwut Km 5,5, Palangka Raya",
    ),
    (
        "RSUD-DORIS",
        "RSUD dr. Doris Sylvanus",
        "Yohanes Nyahu, S.Kep.",
        "+6281251334455",
        "Jl. Tambun Bungai No. 4, Palangka Raya",
    ),
    (
        "BKPSDM-PKY",
        "BKPSDM Kota Palangka Raya",
        "Siti Nurhaliza, A.Md.",
        "+6285245667788",
        "Jl. Tjilik Riwut Km 5,5, Palangka Raya",
    ),
]
FIRST_M = [
    "Ahmad",
    "Budi",
    "Dedi",
    "Eko",
    "Fransiskus",
    "Gusti",
    "Hendra",
    "Irwan",
    "Joko",
    "Kristian",
    "Lukas",
    "Muhammad",
    "Nanang",
    "Oktavianus",
    "Pahrudin",
    "Rahmat",
    "Sabran",
    "Tri",
    "Yusuf",
    "Yohanes",
]
FIRST_F = [
    "Ani",
    "Dewi",
    "Eka",
    "Fitri",
    "Herlina",
    "Indah",
    "Juliana",
    "Kartini",
    "Lestari",
    "Maria",
    "Nurul",
    "Rina",
    "Sri",
    "Tutik",
    "Wahyuni",
    "Yuliana",
    "Rosita",
    "Helena",
    "Norhayati",
    "Erna",
]
LAST = [
    "Saputra",
    "Nyahu",
    "Tingang",
    "Ranan",
    "Kurniawan",
    "Hidayat",
    "Lambung",
    "Pratama",
    "Dehen",
    "Santoso",
    "Rahman",
    "Simanjuntak",
    "Siregar",
    "Wibowo",
    "Usop",
    "Garu",
    "Anggen",
    "Setiawan",
    "Hamidah",
    "Nugroho",
]
TITLES = ["S.Pd.", "S.Kep.", "S.E.", "A.Md.", "S.Sos.", "", "", "S.H.", "dr.", "M.Pd."]
GOLONGAN = [
    "II/b",
    "II/c",
    "II/d",
    "III/a",
    "III/a",
    "III/b",
    "III/b",
    "III/c",
    "III/d",
    "IV/a",
    "IV/b",
]


def _demo_people(n: int = 60) -> list[dict]:
    rng = random.Random(62)  # deterministic: same people on every run
    people = []
    used = set()
    for i in range(n):
        female = rng.random() < 0.5
        first = rng.choice(FIRST_F if female else FIRST_M)
        name = f"{first} {rng.choice(LAST)}"
        title = rng.choice(TITLES)
        if title == "dr.":
            name = f"dr. {name}"
        elif title:
            name = f"{name}, {title}"
        while True:
            by, bm, bd = rng.randint(1966, 1996), rng.randint(1, 12), rng.randint(1, 28)
            ay, am = min(by + rng.randint(22, 30), 2023), rng.randint(1, 12)
            serial = rng.randint(1, 999)
            nip = f"{by:04d}{bm:02d}{bd:02d}{ay:04d}{am:02d}{2 if female else 1}{serial:03d}"
            dd = bd + 40 if female else bd
            nik = f"6271{rng.randint(1, 5):02d}{dd:02d}{bm:02d}{by % 100:02d}{rng.randint(1, 9999):04d}"
            if nip not in used and nik not in used:
                used |= {nip, nik}
                break
        people.append(
            {
                "full_name": name,
                "nip": nip,
                "nik": nik,
                "golongan": rng.choice(GOLONGAN),
                "agency": DEMO_AGENCIES[i % 3][0],
                "join_year": max(ay, 2012) + rng.randint(0, 3),
                "phone": f"+62811{rng.randint(10000000, 99999999)}",
                "sukarela": rng.choice([0, 0, 0, 250000, 500000, 1000000, 2500000]),
                "address": f"Jl. {rng.choice(['G. Obos', 'Yos Sudarso', 'RTA Milono', 'Diponegoro', 'Temanggung Tilung'])} No. {rng.randint(1, 120)}, Palangka Raya",
                "take_home_pay": Decimal(rng.randint(35, 95) * 100000),
            }
        )
    return people


@transaction.atomic
def savings_demo_seed(*, cooperative=None) -> None:
    """DEMO_SEEDER: 3 agencies, 60 members; opening pokok + wajib at 1 January, payroll
    wajib for each month since, and some sukarela at the counter. Idempotent (agencies
    and members by code/NIP, postings by their source reference)."""
    savings_products_seed()
    today = timezone.localdate()
    year_start = date(today.year, 1, 1)
    agencies = {}
    for code, name, tname, tphone, addr in DEMO_AGENCIES:
        agencies[code], _ = Agency.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "treasurer_name": tname,
                "treasurer_phone": tphone,
                "treasurer_email": f"bendahara.{code.lower()}@example.go.id",
                "address": addr,
            },
        )
    people = _demo_people()
    members = []
    for p in people:
        m = Member.objects.filter(nip=p["nip"]).first()
        if m is None:
            info = parse_nip(p["nip"])
            join = date(min(p["join_year"], today.year - 1), 1 + int(p["nip"][-3:]) % 12, 2)
            m = Member.objects.create(
                number=member_numbers_reserve(count=1, join_date=join)[0],
                full_name=p["full_name"],
                nip=p["nip"],
                nik=p["nik"],
                gender=info.gender,
                birth_date=info.birth_date,
                golongan=p["golongan"],
                agency=agencies[p["agency"]],
                join_date=join,
                phone=p["phone"],
                address=p["address"],
                take_home_pay=p["take_home_pay"],
                bank_name="Bank Kalteng",
                bank_account_number=p["nip"][-10:],
            )
        members.append((m, p))
    pokok = product_by_kind("pokok")
    wajib = product_by_kind("wajib")
    sukarela = product_by_kind("sukarela")
    by = "seed_demo"
    # 1. opening balances at 1 January: pokok + wajib paid in earlier years
    ref = f"demo-savings-opening-{today.year}"
    if not JournalEntry.objects.filter(source="opening", source_ref=ref).exists():
        lines, txns = [], []
        for m, _p in members:
            months_before = max(0, (today.year - m.join_date.year) * 12 - (m.join_date.month - 1))
            for product, amount in (
                (pokok, pokok.amount),
                (wajib, wajib_amount_for(member=m, product=wajib, on=year_start) * months_before),
            ):
                if amount <= 0:
                    continue
                acc = savings_account_get_or_open(member=m, product=product, on=m.join_date)
                a = savings_deposit_apply(
                    account=acc,
                    amount=amount,
                    on=year_start,
                    by=by,
                    channel=SavingsTransaction.Channel.OPENING,
                    kind=SavingsTransaction.Kind.OPENING,
                    memo="Saldo awal",
                )
                txns.append(a.transaction)
                lines.extend(a.lines)
        total = sum((ln.credit for ln in lines), Decimal(0))
        entry = journal_post(
            on=year_start,
            description="Saldo awal simpanan anggota (data demo)",
            lines=[LineSpec(account_for_role("opening_balance"), debit=total), *lines],
            source="opening",
            source_ref=ref,
            by=by,
        )
        transactions_link_entry(transactions=txns, entry=entry)
    # 2. payroll wajib for each finished month of this year, one entry per month
    for month in range(1, today.month):
        on = date(today.year, month, 25)
        ref = f"demo-wajib-{today.year}-{month:02d}"
        if JournalEntry.objects.filter(source="savings", source_ref=ref).exists():
            continue
        lines, txns = [], []
        for m, _p in members:
            acc = savings_account_get_or_open(member=m, product=wajib, on=on)
            a = savings_deposit_apply(
                account=acc,
                amount=wajib_amount_for(member=m, product=wajib, on=on),
                on=on,
                by=by,
                channel=SavingsTransaction.Channel.PAYROLL,
                kind=SavingsTransaction.Kind.PAYROLL,
                memo=f"Potong gaji {month:02d}/{today.year}",
            )
            txns.append(a.transaction)
            lines.extend(a.lines)
        total = sum((ln.credit for ln in lines), Decimal(0))
        entry = journal_post(
            on=on,
            description=f"Simpanan wajib potong gaji {month:02d}/{today.year} (data demo)",
            lines=[LineSpec(account_for_role("bank"), debit=total), *lines],
            source="savings",
            source_ref=ref,
            by=by,
        )
        transactions_link_entry(transactions=txns, entry=entry)
    # 3. sukarela at the counter (once: skipped when any sukarela movement exists)
    if not SavingsTransaction.objects.filter(account__product=sukarela).exists():
        on = max(year_start, today.replace(day=1))
        for i, (m, p) in enumerate(members):
            if not p["sukarela"]:
                continue
            acc = savings_account_get_or_open(member=m, product=sukarela, on=on)
            teller_deposit(
                account=acc,
                amount=Decimal(p["sukarela"]),
                channel="cash" if i % 2 else "bank",
                on=on,
                by=by,
                memo="Setoran awal (demo)",
            )
            if i % 5 == 0:
                teller_withdraw(
                    account=acc,
                    amount=Decimal(p["sukarela"]) / 5,
                    channel="cash",
                    on=today,
                    by=by,
                    memo="Penarikan (demo)",
                )
    assert SavingsAccount.objects.filter(balance__lt=0).count() == 0


def product_by_kind(kind: str) -> SavingsProduct:
    return SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("id").first()
