"""Test data for members and savings: valid NIP/NIK generators, users per role, members."""

import itertools
from datetime import date
from decimal import Decimal

from core.members.models import Agency, Member
from core.users.models import User

_seq = itertools.count(1)


def make_nip(n: int, *, female: bool = False, birth=(1985, 3, 15), appointed=(2010, 1)) -> str:
    y, m, d = birth
    ay, am = appointed
    return f"{y:04d}{m:02d}{d:02d}{ay:04d}{am:02d}{2 if female else 1}{n % 999 + 1:03d}"


def make_nik(n: int, *, female: bool = False, birth=(1985, 3, 15)) -> str:
    y, m, d = birth
    dd = d + 40 if female else d
    return f"627103{dd:02d}{m:02d}{y % 100:02d}{(n % 9999) + 1:04d}"


def unique_ids() -> tuple[str, str]:
    """A fresh (nip, nik) pair; varies the birth date so thousands stay unique."""
    n = next(_seq)
    birth = (1970 + n % 25, 1 + (n // 25) % 12, 1 + (n // 300) % 28)
    return (
        make_nip(n, birth=birth, appointed=(birth[0] + 25, 1)),
        make_nik(n, birth=birth),
    )


def agency(code: str = "DISDIK", name: str = "Dinas Pendidikan Kota Palangka Raya") -> Agency:
    obj, _ = Agency.objects.get_or_create(code=code, defaults={"name": name})
    return obj


def member(*, agency_obj: Agency | None = None, golongan: str = "III/a", **kw) -> Member:
    from core.members.services import member_create

    nip, nik = unique_ids()
    data = {
        "full_name": kw.pop("full_name", f"Anggota Uji {nip[-4:]}"),
        "nip": kw.pop("nip", nip),
        "nik": kw.pop("nik", nik),
        "agency": agency_obj or agency(),
        "join_date": kw.pop("join_date", date(2020, 1, 2)),
        "golongan": golongan,
    }
    data.update(kw)
    return member_create(by="tests", **data)


def user(role: str, *, username: str | None = None) -> User:
    username = username or f"{role}-{next(_seq)}@x.test"
    return User.objects.create_user(
        username=username,
        email=username,
        password="Rahasia-123!",
        role=role,
        full_name=role.title(),
    )


def rp(x) -> Decimal:
    return Decimal(str(x))
