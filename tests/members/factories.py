"""Test data for members and savings (factory-boy): valid NIP/NIK generators, agencies,
users per role, members registered through the service."""

import itertools
from datetime import date
from decimal import Decimal

import factory
from django.db import connection, transaction
from factory.django import DjangoModelFactory

from core.members.models import Agency, Member
from core.members.services import member_create, member_status_set
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


def nik_for(nip: str, n: int | None = None) -> str:
    """A fresh NIK of the person a NIP describes: its birth date (day + 40 for a woman,
    NIP digit 15 = 2), so the pair passes the NIP/NIK cross-check."""
    n = next(_seq) if n is None else n
    birth = (int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    return make_nik(n, female=nip[14] == "2", birth=birth)


def unique_ids() -> tuple[str, str]:
    """A fresh (nip, nik) pair; varies the birth date so thousands stay unique."""
    n = next(_seq)
    birth = (1970 + n % 25, 1 + (n // 25) % 12, 1 + (n // 300) % 28)
    return (
        make_nip(n, birth=birth, appointed=(birth[0] + 25, 1)),
        make_nik(n, birth=birth),
    )


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = "DISDIK"
    name = "Dinas Pendidikan Kota Palangka Raya"


class UserFactory(DjangoModelFactory):
    """A login with a role (``UserFactory(role="bendahara")``), password ``Rahasia-123!``."""

    class Meta:
        model = User

    role = User.Role.ANGGOTA
    username = factory.LazyAttribute(lambda o: f"{o.role}-{next(_seq)}@x.test")
    email = factory.SelfAttribute("username")
    full_name = factory.LazyAttribute(lambda o: o.role.title())
    password = "Rahasia-123!"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class MemberFactory(DjangoModelFactory):
    """A member registered through ``member_create`` (numbering, audit, wajib rules), with
    a valid NIP/NIK pair of its own."""

    class Meta:
        model = Member

    class Params:
        ids = factory.LazyFunction(unique_ids)

    nip = factory.LazyAttribute(lambda o: o.ids[0])
    # the NIK of the person the NIP describes (a NIP given alone gets its own NIK)
    nik = factory.LazyAttribute(lambda o: o.ids[1] if o.nip == o.ids[0] else nik_for(o.nip))
    full_name = factory.LazyAttribute(lambda o: f"Anggota Uji {o.nip[-4:]}")
    agency = factory.SubFactory(AgencyFactory)
    join_date = date(2020, 1, 2)
    golongan = "III/a"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return member_create(by="tests", **kwargs)


def agency(code: str = "DISDIK", name: str = "Dinas Pendidikan Kota Palangka Raya") -> Agency:
    return AgencyFactory(code=code, name=name)


def member(*, agency_obj: Agency | None = None, golongan: str = "III/a", **kw) -> Member:
    if agency_obj is not None:
        kw["agency"] = agency_obj
    return MemberFactory(golongan=golongan, **kw)


def user(role: str, *, username: str | None = None) -> User:
    if username is not None:
        return UserFactory(role=role, username=username)
    return UserFactory(role=role)


def rp(x) -> Decimal:
    return Decimal(str(x))


def left_outside_exit(m: Member, *, on: date, status: str = "resigned") -> Member:
    """A member marked as left WITHOUT the exit settlement, their savings accounts and
    loans left open: data from before the database refused it (savings 0018, loans 0021),
    or changed by hand in it. Written as a restore of such data would be, with the
    triggers off for this one statement (``session_replication_role``, back to the
    default at once: the rest of the test keeps every database rule)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        try:
            member_status_set(member=m, status=status, on=on, reason="x", by="tests")
        finally:
            cur.execute("SET LOCAL session_replication_role = DEFAULT")
    m.refresh_from_db()
    return m
