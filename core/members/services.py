"""Writes of the member registry."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log, audit_log_bulk
from core.common.dates import format_tanggal
from core.common.db_refusals import db_refusal_error
from core.common.errors import ApplicationError, reason_required
from core.common.money import parse_rupiah
from core.common.said import Said
from core.members.audit import MemberAudit

from .models import Agency, Heir, Member, MemberChange, MemberSettings
from .selectors import heir_label
from .validators import id_digits, nip_nik_match, normalize_phone, parse_nik, parse_nip


class MemberErrors(StrEnum):
    INVALID = "member_invalid"
    DUPLICATE_NIP = "member_duplicate_nip"
    DUPLICATE_NIK = "member_duplicate_nik"
    DUPLICATE_NUMBER = "member_duplicate_number"
    AGENCY_UNKNOWN = "agency_unknown"
    AGENCY_INACTIVE = "agency_inactive"
    AGENCY_DUPLICATE = "agency_duplicate_code"
    NOT_ACTIVE = "member_not_active"
    NUMBER_PATTERN = "member_number_pattern"
    HEIR_SHARES_OVER = "member_heir_shares_over_100"
    AGENCY_HAS_ACTIVE_MEMBERS = "agency_has_active_members"
    DECEASED = "member_deceased"
    NIP_NIK_MISMATCH = "member_nip_nik_mismatch"
    REJOIN_CONFLICT = "member_rejoin_conflict"
    STATUS_VIA_EXIT = "member_status_via_exit"


GOLONGAN_RE = re.compile(
    r"^(I|II|III|IV)/[a-e]$|^PPPK (I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI|XVII)$"
)

MEMBER_EDITABLE = (
    "full_name",
    "golongan",
    "position",
    "agency",
    "address",
    "phone",
    "email",
    "bank_name",
    "bank_account_number",
    "bank_account_holder",
    "take_home_pay",
    "nip",
    "nik",
)


def grade_group(golongan: str) -> str:
    """'III/b' → 'III'; 'PPPK IX' → 'PPPK'; '' → ''."""
    g = (golongan or "").strip()
    if g.startswith("PPPK"):
        return "PPPK"
    return g.split("/", 1)[0]


def normalize_golongan(value: str) -> str:
    v = (value or "").strip()
    if not v:
        return ""
    # accept 'iii/b', 'III/B', 'III b', 'III-b'
    m = re.match(r"^(i{1,3}|iv)\s*[/\- ]\s*([a-e])$", v, re.IGNORECASE)
    if m:
        return f"{m.group(1).upper()}/{m.group(2).lower()}"
    m = re.match(r"^pppk\s+([ivx]+)$", v, re.IGNORECASE)
    if m:
        v = f"PPPK {m.group(1).upper()}"
    if not GOLONGAN_RE.match(v):
        raise ValidationError(
            _("Golongan tidak dikenal: gunakan mis. III/a atau PPPK IX."), code="golongan"
        )
    return v


# a month's take-home pay above this is a typo (or a NIK in the wrong column)
MAX_TAKE_HOME_PAY = Decimal("1000000000")
# the reason given with a change of a member's data (screen and API), kept in the history
MAX_REASON = 300


def _settings_locked() -> MemberSettings:
    MemberSettings.objects.get_or_create(pk=1)
    return MemberSettings.objects.select_for_update().get(pk=1)


def _numbers_taken(numbers: list[str]) -> set[str]:
    """Of ``numbers``, those another member already has, compared in upper case (a
    number typed by hand as ``a00001`` is the pattern's ``A00001``)."""
    return set(
        Member.objects.annotate(n=Upper("number"))
        .filter(n__in=[n.upper() for n in numbers])
        .values_list("n", flat=True)
    )


# rounds of taken numbers skipped before the pattern is declared unusable
_RESERVE_ROUNDS = 100


def member_numbers_reserve(*, count: int, join_date: date, agency_code: str = "") -> list[str]:
    """Take ``count`` member numbers from the configured pattern (locks the settings row,
    so two clerks never get the same number). Numbers some member already has (given by
    hand or brought in by the import with the previous system's numbers) are skipped, so
    the next registration never collides with them. Call inside a transaction."""
    return member_numbers_reserve_each(joins=[(join_date, agency_code)] * count)


def member_numbers_reserve_each(
    *, joins: list[tuple[date, str]], also_taken: Iterable[str] = ()
) -> list[str]:
    """One number of the configured pattern for each ``(join_date, agency_code)`` of
    ``joins``, in order (``{year}`` is each one's own join year), under ONE lock of the
    settings row. Skipped, compared in upper case: numbers some member already has and
    ``also_taken`` (numbers not written yet, e.g. those given in an import file). Call
    inside a transaction."""
    s = _settings_locked()
    out: list[str | None] = [None] * len(joins)
    pending = list(range(len(joins)))
    used = {n.upper() for n in also_taken}
    seq = s.next_seq
    for _round in range(_RESERVE_ROUNDS):
        if not pending:
            break
        try:
            batch = [
                s.number_pattern.format(
                    seq=seq + k, year=joins[i][0].year, agency=joins[i][1] or ""
                )
                for k, i in enumerate(pending)
            ]
        except (KeyError, IndexError, ValueError) as e:
            raise ApplicationError(
                MemberErrors.NUMBER_PATTERN,
                _("Pola nomor anggota tidak valid: %(e)s") % {"e": e},
            ) from None
        seq += len(pending)
        taken = _numbers_taken(batch) | used
        still = []
        for i, n in zip(pending, batch, strict=True):
            if n.upper() in taken:
                still.append(i)
            else:
                out[i] = n
                taken.add(n.upper())
                used.add(n.upper())
        pending = still
    if pending:
        raise ApplicationError(
            MemberErrors.NUMBER_PATTERN,
            _("Pola nomor anggota tidak menghasilkan nomor baru yang belum dipakai."),
        )
    s.next_seq = seq
    s.save(update_fields=["next_seq", "updated_at"])
    return [n for n in out if n is not None]


@transaction.atomic
def member_settings_update(*, number_pattern: str, by) -> MemberSettings:
    try:
        number_pattern.format(seq=1, year=2026, agency="X")
    except (KeyError, IndexError, ValueError) as e:
        raise ApplicationError(
            MemberErrors.NUMBER_PATTERN, _("Pola nomor anggota tidak valid: %(e)s") % {"e": e}
        ) from None
    if "{seq" not in number_pattern:
        raise ApplicationError(
            MemberErrors.NUMBER_PATTERN, _("Pola nomor anggota harus memuat {seq}.")
        )
    s = _settings_locked()
    old = s.number_pattern
    s.number_pattern = number_pattern
    s.save()
    audit_log(
        actor=by, action=MemberAudit.MEMBERS_SETTINGS, data={"old": old, "new": number_pattern}
    )
    return s


# the member import's floor for a join date: anything earlier is a typo
JOIN_YEAR_MIN = 1950


def _check_join_after_birth(out: dict[str, Any], *, instance: Member | None, err) -> None:
    """A join date typed now is not before 1950; nobody joins before they are born (the
    birth date read from the NIP), whether the join date or the NIP is what changes."""
    join = out.get("join_date")
    if join is not None and join.year < JOIN_YEAR_MIN:
        err("join_date", _("Tanggal masuk %(d)s tidak masuk akal.") % {"d": format_tanggal(join)})
        return
    if join is None and instance is not None:
        join = instance.join_date
    birth = out.get("birth_date")
    if join is not None and birth is not None and join < birth:
        err(
            "join_date" if "join_date" in out else "nip",
            _("Tanggal masuk (%(j)s) sebelum tanggal lahir anggota menurut NIP (%(b)s).")
            % {"j": format_tanggal(join), "b": format_tanggal(birth)},
        )


def _duplicate_nip(nip: str) -> ApplicationError:
    return ApplicationError(
        MemberErrors.DUPLICATE_NIP,
        _("NIP %(n)s sudah terdaftar sebagai anggota lain.") % {"n": nip},
        fields={"nip": [_("NIP sudah terdaftar.")]},
    )


def _duplicate_nik(nik: str) -> ApplicationError:
    return ApplicationError(
        MemberErrors.DUPLICATE_NIK,
        _("NIK %(n)s sudah terdaftar sebagai anggota lain.") % {"n": nik},
        fields={"nik": [_("NIK sudah terdaftar.")]},
    )


def _duplicate_number(number: str) -> ApplicationError:
    return ApplicationError(
        MemberErrors.DUPLICATE_NUMBER,
        _("Nomor anggota %(n)s sudah dipakai.") % {"n": number},
        fields={"number": [_("Nomor anggota sudah dipakai.")]},
    )


def _save_or_duplicate(member: Member, *, create: bool) -> None:
    """Insert or save ``member``; a unique NIP, NIK or number taken meanwhile by another
    clerk's committed registration (the explicit checks ran before it committed) is the
    same refusal as when it was already there, not a server error."""
    try:
        with transaction.atomic():
            if create:
                member.save(force_insert=True)
            else:
                member.save()
    except IntegrityError as e:
        constraint = getattr(getattr(e.__cause__, "diag", None), "constraint_name", "") or ""
        # one successor per old record: another clerk re-registered the same former
        # member meanwhile, i.e. the NIP is taken by a current membership
        if constraint in (
            "members_member_nip_current_uniq",
            "members_member_previous_member_id_key",
        ):
            raise _duplicate_nip(member.nip) from None
        if constraint == "members_member_nik_current_uniq":
            raise _duplicate_nik(member.nik) from None
        if constraint in ("members_member_number_key", "members_member_number_upper_uniq"):
            raise _duplicate_number(member.number) from None
        raise


def _deceased(field: str, value: str, holder: Member) -> ApplicationError:
    label = "NIP" if field == "nip" else "NIK"
    msg = _(
        "%(f)s %(v)s milik anggota No. %(no)s (%(name)s) yang meninggal dunia pada %(d)s: "
        "%(f)s anggota yang meninggal tidak dapat didaftarkan lagi."
    ) % {
        "f": label,
        "v": value,
        "no": holder.number,
        "name": holder.full_name,
        "d": format_tanggal(holder.exit_date),
    }
    return ApplicationError(MemberErrors.DECEASED, msg, fields={field: [msg]})


def _membership_chain(member: Member | None) -> list[int]:
    """Ids of ``member`` and of every membership of the same person before it."""
    out: list[int] = []
    while member is not None and member.pk not in out:
        out.append(member.pk)
        member = member.previous_member
    return out


def _identifier_holders(field: str, value: str, *, instance: Member | None) -> Member | None:
    """The membership that ``value`` (a NIP or NIK) would continue, if any: refused when
    a member who has not left (or a deceased one) holds it; on an edit, also when any
    other person's record holds it. At registration, the latest record that left with it
    is returned (the person joins again)."""
    qs = Member.objects.filter(**{field: value}).select_related("previous_member")
    if instance is not None:
        qs = qs.exclude(pk__in=_membership_chain(instance))
    holders = list(qs.order_by("-exit_date", "-pk")[:20])
    duplicate = _duplicate_nip if field == "nip" else _duplicate_nik
    for h in holders:
        if h.is_active:
            raise duplicate(value)
    for h in holders:
        if h.status == Member.Status.DECEASED:
            raise _deceased(field, value, h)
    if holders and instance is not None:
        raise duplicate(value)
    return holders[0] if holders else None


def _previous_membership(out: dict[str, Any], *, instance: Member | None) -> Member | None:
    """Uniqueness of NIP and NIK, checked explicitly for a specific message (the partial
    unique indexes still guard races); the former membership a registration continues."""
    by_nip = _identifier_holders("nip", out["nip"], instance=instance) if "nip" in out else None
    by_nik = _identifier_holders("nik", out["nik"], instance=instance) if "nik" in out else None
    if by_nip is None or by_nik is None or by_nip.pk == by_nik.pk:
        return by_nip or by_nik
    if by_nik.pk in _membership_chain(by_nip):
        return by_nip
    if by_nip.pk in _membership_chain(by_nik):
        return by_nik
    msg = _(
        "NIP %(nip)s tercatat pada anggota lama No. %(a)s, tetapi NIK %(nik)s pada anggota "
        "lama No. %(b)s: periksa NIP dan NIK."
    ) % {"nip": out["nip"], "a": by_nip.number, "nik": out["nik"], "b": by_nik.number}
    raise ApplicationError(MemberErrors.REJOIN_CONFLICT, msg, fields={"nip": [msg], "nik": [msg]})


def _check_nip_nik_match(out: dict[str, Any], *, instance: Member | None) -> None:
    """The NIP and NIK of the record (given now, or stored) agree; checked when either
    is new (a stored pair that disagreed before this rule does not block other edits).
    Called once both are known valid on their own."""
    if not ("nip" in out or "nik" in out):
        return
    nip = out.get("nip", instance.nip if instance is not None else "")
    nik = out.get("nik", instance.nik if instance is not None else "")
    if not (nip and nik):
        return
    if instance is not None and (nip, nik) == (instance.nip, instance.nik):
        return
    try:
        nip_nik_match(nip, nik)
    except ValidationError as e:
        msg = e.messages[0]
        field = "nik" if "nik" in out else "nip"
        raise ApplicationError(MemberErrors.NIP_NIK_MISMATCH, msg, fields={field: [msg]}) from None


def _clean_member_fields(data: dict[str, Any], *, instance: Member | None = None) -> dict:
    """Validate and normalise member fields. Raises ApplicationError with all field errors."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def err(field, msg):
        errors.setdefault(field, []).append(str(msg))

    for key, value in data.items():
        try:
            if key == "nip":
                # as printed ("19800101 200501 1 001"): its digits are validated and kept
                v = id_digits(value)
                info = parse_nip(v)
                out["nip"] = v
                out.setdefault("gender", info.gender)
                out.setdefault("birth_date", info.birth_date)
            elif key == "nik":
                v = id_digits(value)
                parse_nik(v)
                out["nik"] = v
            elif key == "full_name":
                v = " ".join(str(value or "").split())
                if not v:
                    raise ValidationError(_("Nama lengkap wajib diisi."))
                out[key] = v[:200]
            elif key == "phone":
                out[key] = normalize_phone(str(value or ""))
            elif key == "email":
                v = str(value or "").strip()
                if v:
                    validate_email(v)
                out[key] = v
            elif key == "golongan":
                out[key] = normalize_golongan(str(value or ""))
            elif key == "take_home_pay":
                out[key] = (
                    None
                    if value in (None, "")
                    else parse_rupiah(value, field=_("Gaji bersih"), max_value=MAX_TAKE_HOME_PAY)
                )
            elif key == "agency":
                if not isinstance(value, Agency):
                    raise ValidationError(_("Instansi tidak dikenal."))
                if not value.is_active and (instance is None or instance.agency_id != value.pk):
                    raise ValidationError(_("Instansi %(a)s tidak aktif.") % {"a": value.name})
                out[key] = value
            elif key == "join_date":
                if not isinstance(value, date):
                    raise ValidationError(_("Tanggal masuk tidak valid."))
                if value > timezone.localdate():
                    raise ValidationError(_("Tanggal masuk tidak boleh di masa depan."))
                out[key] = value
            else:
                out[key] = str(value or "").strip() if isinstance(value, str | None) else value
        except ValidationError as e:
            for m in e.messages:
                err(key, m)
    _check_join_after_birth(out, instance=instance, err=err)
    previous = _previous_membership(out, instance=instance)
    if instance is None:
        out["previous_member"] = previous
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(MemberErrors.INVALID, first, fields=errors)
    _check_nip_nik_match(out, instance=instance)
    return out


def member_field_errors(data: dict[str, Any], *, instance: Member | None = None) -> dict:
    """What ``member_create`` / ``member_update`` would refuse in ``data``, field by
    field, writing nothing: a form whose own checks failed (a date that is no date) shows
    these in the same round, so the clerk sees a bad NIP with it, not after fixing it."""
    try:
        _clean_member_fields(data, instance=instance)
    except ApplicationError as e:
        return dict(e.fields)
    return {}


@transaction.atomic
def member_create(
    *,
    by,
    full_name: str,
    nip: str,
    nik: str,
    agency: Agency,
    join_date: date,
    golongan: str = "",
    position: str = "",
    address: str = "",
    phone: str = "",
    email: str = "",
    bank_name: str = "",
    bank_account_number: str = "",
    bank_account_holder: str = "",
    take_home_pay: Decimal | None = None,
    number: str = "",
) -> Member:
    data = _clean_member_fields(
        {
            "full_name": full_name,
            "nip": nip,
            "nik": nik,
            "agency": agency,
            "join_date": join_date,
            "golongan": golongan,
            "position": position,
            "address": address,
            "phone": phone,
            "email": email,
            "bank_name": bank_name,
            "bank_account_number": bank_account_number,
            "bank_account_holder": bank_account_holder,
            "take_home_pay": take_home_pay,
        }
    )
    number = (number or "").strip()
    if number:
        # ``kp-001`` is ``KP-001``: the office reads and looks numbers up in any case
        if Member.objects.filter(number__iexact=number).exists():
            raise _duplicate_number(number)
    else:
        number = member_numbers_reserve(count=1, join_date=join_date, agency_code=agency.code)[0]
    member = Member(number=number, **data)
    _save_or_duplicate(member, create=True)
    previous = member.previous_member
    audit_log(
        actor=by,
        action=MemberAudit.CREATE,
        target=member,
        data={"previous_member": previous.number} if previous is not None else None,
    )
    if previous is not None:
        carried = member_rejoin_carry(joins=[(previous.pk, member.pk)], by=by)[member.pk]
        member.user_id = carried.user_id
    return member


def member_rejoin_check(*, nip: str = "", nik: str = "") -> Member | None:
    """The former membership a registration with this NIP and/or NIK would continue
    (the person joined before and left), or None for a person new to the cooperative.
    Raises the registration's own refusal (``ApplicationError``) when a current member
    or a deceased one holds the NIP/NIK, or when they point at two different people.
    Only what is given is checked (the registration form asks as the clerk types)."""
    out = {k: id_digits(v) for k, v in (("nip", nip), ("nik", nik)) if id_digits(v)}
    return _previous_membership(out, instance=None)


@dataclass(frozen=True)
class RejoinCarried:
    """What a new membership took over from the previous one."""

    heirs: list[Heir]
    user_id: int | None


@transaction.atomic
def member_rejoin_carry(*, joins: Sequence[tuple[int, int]], by) -> dict[int, RejoinCarried]:
    """A former member joined again: each ``(old id, new id)`` of ``joins`` is a new
    membership just written with ``previous_member`` = old. The new membership takes
    over from the old one

    - the old membership's active heirs, COPIED (``carried_from`` names the original):
      editing or taking off a copy leaves the old record as it was;
    - the portal login, MOVED (the portal shows the current membership), recorded in
      the old record's history.

    One ``member.rejoin`` audit row per new membership says what came over. The one
    place for it: registration (form, API) and the member import call it alike.
    Returns, per new id, what was carried."""
    if not joins:
        return {}
    old_ids = sorted({o for o, _n in joins})
    olds = {
        m.pk: m for m in Member.objects.select_for_update().filter(pk__in=old_ids).order_by("pk")
    }
    news = {m.pk: m for m in Member.objects.filter(pk__in=[n for _o, n in joins])}
    heirs_of: dict[int, list[Heir]] = {}
    for h in Heir.objects.filter(member_id__in=old_ids, is_active=True).order_by("pk"):
        heirs_of.setdefault(h.member_id, []).append(h)
    who = by if getattr(by, "is_authenticated", False) else None
    copies: list[Heir] = []
    history: list[MemberChange] = []
    moves: list[tuple[int, int, int]] = []  # (old id, new id, user id)
    out: dict[int, RejoinCarried] = {}
    for old_id, new_id in joins:
        old, new = olds[old_id], news[new_id]
        if new.previous_member_id != old.pk:
            raise ValueError(f"member {new.pk} does not continue member {old.pk}")
        mine = [
            Heir(
                member_id=new.pk,
                full_name=h.full_name,
                relationship=h.relationship,
                nik=h.nik,
                phone=h.phone,
                address=h.address,
                share_percent=h.share_percent,
                carried_from=h,
            )
            for h in heirs_of.get(old.pk, [])
        ]
        copies += mine
        user_id = old.user_id
        if user_id is not None:
            moves.append((old.pk, new.pk, user_id))
            said = Said("member.login_moved", {"no": new.number})
            history.append(
                MemberChange(
                    member=old,
                    changed_by=who,
                    field="user",
                    old_value=str(user_id),
                    reason=str(said),
                    reason_said={"code": said.code, "params": said.params},
                )
            )
        out[new.pk] = RejoinCarried(heirs=mine, user_id=user_id)
    if moves:
        # the login is one-to-one: off the old records first, then onto the new ones
        now = timezone.now()
        Member.objects.filter(pk__in=[o for o, _n, _u in moves]).update(user=None, updated_at=now)
        for _o, new_id, user_id in moves:
            Member.objects.filter(pk=new_id).update(user_id=user_id, updated_at=now)
    Heir.objects.bulk_create(copies)
    MemberChange.objects.bulk_create(history)
    audit_log_bulk(
        actor=by,
        action=MemberAudit.REJOIN,
        targets=[
            (
                news[new_id],
                {
                    "previous_member": olds[old_id].number,
                    "previous_member_id": old_id,
                    "heirs": [heir_label(h) for h in out[new_id].heirs],
                    "user": out[new_id].user_id,
                },
            )
            for old_id, new_id in joins
        ],
    )
    return out


def member_rejoin_revert(*, member_ids: Iterable[int], reason: str, by) -> None:
    """Before new memberships are removed again (the move-in's undo deletes the members
    its import wrote; inside its transaction): the heirs copied to them go, and a portal
    login moved to them goes back to the previous membership, in its history."""
    news = list(
        Member.objects.select_for_update()
        .filter(pk__in=list(member_ids), previous_member__isnull=False)
        .order_by("pk")
    )
    if not news:
        return
    Heir.objects.filter(member__in=news, carried_from__isnull=False).delete()
    who = by if getattr(by, "is_authenticated", False) else None
    history = []
    for new in news:
        if new.user_id is None:
            continue
        old = Member.objects.select_for_update().get(pk=new.previous_member_id)
        if old.user_id is not None:
            continue
        user_id = new.user_id
        Member.objects.filter(pk=new.pk).update(user=None, updated_at=timezone.now())
        Member.objects.filter(pk=old.pk).update(user_id=user_id, updated_at=timezone.now())
        history.append(
            MemberChange(
                member=old, changed_by=who, field="user", new_value=str(user_id), reason=reason
            )
        )
    MemberChange.objects.bulk_create(history)


def member_read_only_error(member: Member) -> ApplicationError:
    """A member who has left is a closed record: its data stay as they were at the exit
    (reversing the exit opens it again)."""
    return ApplicationError(
        MemberErrors.NOT_ACTIVE,
        _(
            "Anggota %(m)s sudah keluar (%(s)s, %(d)s): datanya tidak dapat diubah. "
            "Batalkan penyelesaian keluarnya bila keluarnya keliru."
        )
        % {"m": member, "s": member.get_status_display(), "d": format_tanggal(member.exit_date)},
        status=409,
    )


def heir_read_only_error(member: Member) -> ApplicationError:
    """The heirs of a member who has left stay as they were at the exit."""
    return ApplicationError(
        MemberErrors.NOT_ACTIVE,
        _("Anggota %(m)s sudah tidak aktif: ahli warisnya tidak dapat diubah.") % {"m": member},
        status=409,
    )


def _member_from_db_detail(detail: dict[str, Any]) -> Member:
    """The member named in a trigger's DETAIL (migration 0009), unsaved: enough to name
    them (the failed transaction cannot read it again)."""
    try:
        exit_date = date.fromisoformat(str(detail.get("exit_date") or ""))
    except ValueError:
        exit_date = None
    return Member(
        pk=detail.get("id"),
        number=str(detail.get("number") or ""),
        full_name=str(detail.get("full_name") or ""),
        status=str(detail.get("status") or ""),
        exit_date=exit_date,
    )


def member_left_db_refusal(detail: dict[str, Any]) -> ApplicationError:
    """The database refused to change a member who has left (migration 0009's trigger):
    the same refusal the services give."""
    return member_read_only_error(_member_from_db_detail(detail))


def heir_left_db_refusal(detail: dict[str, Any]) -> ApplicationError:
    """The database refused to change an heir of a member who has left."""
    return heir_read_only_error(_member_from_db_detail(detail))


@transaction.atomic
def member_update(*, member: Member, by, reason: str = "", **changes: Any) -> Member:
    """Change a member's data; each changed field is written to the history."""
    unknown = set(changes) - set(MEMBER_EDITABLE)
    if unknown:
        raise ApplicationError(
            MemberErrors.INVALID,
            _("Kolom tidak boleh diubah di sini: %(f)s") % {"f": ", ".join(sorted(unknown))},
        )
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not member.is_active:
        raise member_read_only_error(member)
    clean = _clean_member_fields(changes, instance=member)
    nip_changed = "nip" in clean and clean["nip"] != member.nip
    history = []
    for field, new in clean.items():
        # read from the NIP: they follow a corrected NIP (the edit screen sends the
        # unchanged NIP with every save, which changes nothing)
        if field in ("gender", "birth_date") and not nip_changed:
            continue
        old = getattr(member, field)
        if old == new:
            continue
        history.append(
            MemberChange(
                member=member,
                changed_by=by if getattr(by, "is_authenticated", False) else None,
                field=field,
                old_value="" if old is None else str(old),
                new_value="" if new is None else str(new),
                reason=reason,
            )
        )
        setattr(member, field, new)
    if history:
        _save_or_duplicate(member, create=False)
        MemberChange.objects.bulk_create(history)
        audit_log(
            actor=by,
            action=MemberAudit.UPDATE,
            target=member,
            reason=reason,
            # what each field was and became: the auditor reads it here (a bank account
            # changed just before an exit payout is the case that matters)
            data={
                "fields": [h.field for h in history],
                "changes": [
                    {"field": h.field, "old": h.old_value, "new": h.new_value} for h in history
                ],
            },
        )
    return member


# a member's status and exit date: set by the exit settlement only (member_status_set)
EXIT_FIELDS = ("status", "exit_date")


def member_exit_fields_check(data: Mapping[str, Any], *, member: Member | None) -> None:
    """``status`` / ``exit_date`` sent with a member's data (the API's POST, PATCH, PUT):
    the same value as the member's (a client sending the whole object back; a new member
    is active, with no exit date) passes; another is refused, pointing to the exit
    settlement — the only way a member leaves, since it pays out their savings, offsets
    their loans and closes their accounts. Nothing is changed by the request."""
    current = {"status": Member.Status.ACTIVE, "exit_date": None}
    if member is not None:
        current = {
            "status": member.status,
            "exit_date": member.exit_date.isoformat() if member.exit_date else None,
        }
    bad = [k for k in EXIT_FIELDS if k in data and (data.get(k) or None) != (current[k] or None)]
    if not bad:
        return
    how = _(
        "Anggota keluar, pensiun, pindah atau meninggal hanya melalui penyelesaian keluar "
        "(halaman anggota → Keluar / pensiun / meninggal%(url)s), yang membayarkan "
        "simpanannya, memperhitungkan pinjamannya dan menutup rekeningnya."
    ) % {"url": f": {reverse('exits:settle', args=[member.pk])}" if member is not None else ""}
    if member is None:
        msg = _(
            "Anggota baru terdaftar sebagai anggota aktif: status dan tanggal keluar tidak "
            "diisi saat pendaftaran. %(how)s"
        ) % {"how": how}
    else:
        msg = _("Status dan tanggal keluar anggota tidak diubah di sini. %(how)s") % {"how": how}
    raise ApplicationError(MemberErrors.STATUS_VIA_EXIT, msg, fields={k: [msg] for k in bad})


def member_status_set(*, member: Member, status: str, on: date, reason: str, by) -> Member:
    """Used by the exit settlement (inside its transaction, once it has paid out and
    closed the member's savings accounts and settled their loans): sets the final status.

    A member leaves only so: the database refuses a leaving status while the member
    still holds an open savings account (savings migration 0018) or a running loan
    (loans 0021), and that refusal is raised here as those apps word it
    (``core.common.db_refusals``: naming what is open and pointing to the exit screen),
    the member unchanged."""
    before = (member.status, member.exit_date, member.exit_reason)
    member.status = status
    member.exit_date = on
    member.exit_reason = reason
    try:
        with transaction.atomic():
            member.save(update_fields=["status", "exit_date", "exit_reason", "updated_at"])
    except IntegrityError as e:
        member.status, member.exit_date, member.exit_reason = before
        refusal = db_refusal_error(e)
        if refusal is None:
            raise
        raise refusal from None
    MemberChange.objects.create(
        member=member,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        field="status",
        old_value=before[0],
        new_value=status,
        reason=reason,
    )
    return member


def _clean_agency(
    *, code: str, name: str, treasurer_phone: str, treasurer_email: str, instance=None
) -> dict:
    errors: dict[str, list[str]] = {}
    code = (code or "").strip().upper()
    name = " ".join((name or "").split())
    if not code:
        errors["code"] = [_("Kode instansi wajib diisi.")]
    if not name:
        errors["name"] = [_("Nama instansi wajib diisi.")]
    try:
        treasurer_phone = normalize_phone(treasurer_phone)
    except ValidationError as e:
        errors["treasurer_phone"] = e.messages
    treasurer_email = (treasurer_email or "").strip()
    if treasurer_email:
        try:
            validate_email(treasurer_email)
        except ValidationError as e:
            errors["treasurer_email"] = e.messages
    if errors:
        raise ApplicationError(MemberErrors.INVALID, next(iter(errors.values()))[0], fields=errors)
    qs = Agency.objects.filter(code=code)
    if instance is not None:
        qs = qs.exclude(pk=instance.pk)
    if qs.exists():
        raise ApplicationError(
            MemberErrors.AGENCY_DUPLICATE,
            _("Kode instansi %(c)s sudah dipakai.") % {"c": code},
            fields={"code": [_("Kode sudah dipakai.")]},
        )
    return {
        "code": code,
        "name": name,
        "treasurer_phone": treasurer_phone,
        "treasurer_email": treasurer_email,
    }


@transaction.atomic
def agency_create(
    *,
    by,
    code: str,
    name: str,
    treasurer_name: str = "",
    treasurer_phone: str = "",
    treasurer_email: str = "",
    address: str = "",
    is_active: bool = True,
) -> Agency:
    clean = _clean_agency(
        code=code, name=name, treasurer_phone=treasurer_phone, treasurer_email=treasurer_email
    )
    agency = Agency.objects.create(
        treasurer_name=treasurer_name.strip(), address=address.strip(), is_active=is_active, **clean
    )
    audit_log(actor=by, action=MemberAudit.AGENCY_CREATE, target=agency)
    return agency


@transaction.atomic
def agency_update(
    *,
    agency: Agency,
    by,
    code: str,
    name: str,
    treasurer_name: str = "",
    treasurer_phone: str = "",
    treasurer_email: str = "",
    address: str = "",
    is_active: bool = True,
) -> Agency:
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    clean = _clean_agency(
        code=code,
        name=name,
        treasurer_phone=treasurer_phone,
        treasurer_email=treasurer_email,
        instance=agency,
    )
    if agency.is_active and not is_active:
        # their wajib and instalments go on its deduction list every month
        active = agency.members.filter(status=Member.Status.ACTIVE).count()
        if active:
            msg = _(
                "Instansi %(a)s masih memiliki %(n)s anggota aktif: pindahkan mereka ke "
                "instansi lain dulu sebelum menonaktifkannya."
            ) % {"a": agency.name, "n": active}
            raise ApplicationError(
                MemberErrors.AGENCY_HAS_ACTIVE_MEMBERS, msg, fields={"is_active": [msg]}
            )
    new = {
        **clean,
        "treasurer_name": treasurer_name.strip(),
        "address": address.strip(),
        "is_active": is_active,
    }
    # what each column was and became: the treasurer's e-mail and phone are where the
    # deduction lists go (the auditor asks who changed them, and from what)
    changes = [
        {"field": k, "old": getattr(agency, k), "new": v}
        for k, v in new.items()
        if getattr(agency, k) != v
    ]
    if not changes:
        return agency
    for k, v in new.items():
        setattr(agency, k, v)
    agency.save()
    audit_log(
        actor=by,
        action=MemberAudit.AGENCY_UPDATE,
        target=agency,
        data={"fields": [c["field"] for c in changes], "changes": changes},
    )
    return agency


def _percent_text(d: Decimal) -> str:
    """``Decimal("33.50")`` → ``33,5``; ``Decimal("100.00")`` → ``100``."""
    return f"{d.normalize():f}".replace(".", ",")


@transaction.atomic
def heir_add(
    *,
    member: Member,
    by,
    full_name: str,
    relationship: str,
    nik: str = "",
    phone: str = "",
    address: str = "",
    share_percent: Decimal = Decimal("100"),
) -> Heir:
    """Record an heir of ``member`` with ``share_percent`` of the payout (0 < share ≤ 100,
    at most two decimals). The shares of the member's active heirs add up to at most
    100 %: the member row is locked while the total is checked, so two clerks adding at
    once cannot both pass."""
    errors = {}
    full_name = " ".join((full_name or "").split())
    if not full_name:
        errors["full_name"] = [_("Nama ahli waris wajib diisi.")]
    if not (relationship or "").strip():
        errors["relationship"] = [_("Hubungan dengan anggota wajib diisi.")]
    nik = id_digits(nik)  # as printed, with spaces, dots or hyphens: its digits
    if nik:
        try:
            parse_nik(nik)
        except ValidationError as e:
            errors["nik"] = e.messages
    try:
        phone = normalize_phone(phone)
    except ValidationError as e:
        errors["phone"] = e.messages
    share = Decimal(share_percent)
    if not (Decimal(0) < share <= Decimal(100)):
        errors["share_percent"] = [_("Bagian harus antara 0 dan 100 persen.")]
    elif share != share.quantize(Decimal("0.01")):
        errors["share_percent"] = [_("Bagian paling banyak dua angka di belakang koma.")]
    if errors:
        raise ApplicationError(MemberErrors.INVALID, next(iter(errors.values()))[0], fields=errors)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not member.is_active:
        raise heir_read_only_error(member)
    taken = member.heirs.filter(is_active=True).aggregate(t=Sum("share_percent"))["t"] or 0
    if taken + share > 100:
        raise ApplicationError(
            MemberErrors.HEIR_SHARES_OVER,
            _("Jumlah bagian ahli waris aktif anggota ini menjadi %(total)s%%, lebih dari 100%%.")
            % {"total": _percent_text(taken + share)},
            fields={
                "share_percent": [
                    _("Paling banyak %(left)s%% (sisa dari 100%%).")
                    % {"left": _percent_text(max(Decimal(100) - taken, Decimal(0)))}
                ]
            },
        )
    heir = Heir.objects.create(
        member=member,
        full_name=full_name,
        relationship=relationship.strip(),
        nik=nik,
        phone=phone,
        address=(address or "").strip(),
        share_percent=share,
    )
    audit_log(
        actor=by,
        action=MemberAudit.HEIR_ADD,
        target=member,
        data={"heir": full_name, "share_percent": str(share)},
    )
    return heir


@transaction.atomic
def heir_deactivate(*, heir: Heir, by, reason: str) -> Heir:
    """Take an heir off (recorded by mistake, divorced, deceased): no longer paid and
    no longer counted in the 100 %, with a reason kept in the member's history and the
    audit log. Nothing is deleted."""
    reason = reason_required(reason, code=MemberErrors.INVALID, field="heir_reason")
    member = Member.objects.select_for_update().get(pk=heir.member_id)
    heir = Heir.objects.select_for_update().get(pk=heir.pk)
    if not member.is_active:
        raise heir_read_only_error(member)
    if not heir.is_active:
        return heir
    heir.is_active = False
    heir.save(update_fields=["is_active"])
    label = heir_label(heir)
    MemberChange.objects.create(
        member=member,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        field="heir",
        old_value=label,
        new_value="",
        reason=reason,
    )
    audit_log(
        actor=by,
        action=MemberAudit.HEIR_DEACTIVATE,
        target=member,
        reason=reason,
        data={"heir": heir.full_name, "share_percent": str(heir.share_percent)},
    )
    return heir


@transaction.atomic
def member_user_link(*, member: Member, user, by) -> Member:
    """Link an ``anggota`` login to a member so the member portal shows their own data."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not member.is_active:
        raise member_read_only_error(member)
    if user is None or getattr(user, "role", "") != "anggota":
        raise ApplicationError(
            MemberErrors.INVALID,
            _("Hanya akun berperan anggota yang dapat dihubungkan ke data anggota."),
            fields={"user": [_("Bukan akun anggota.")]},
        )
    other = Member.objects.filter(user=user).exclude(pk=member.pk).first()
    if other is not None:
        raise ApplicationError(
            MemberErrors.INVALID,
            _("Akun ini sudah terhubung ke anggota %(m)s.") % {"m": other},
            fields={"user": [_("Sudah terhubung.")]},
        )
    old = member.user_id
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    MemberChange.objects.create(
        member=member,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
        field="user",
        old_value="" if old is None else str(old),
        new_value=str(user.pk),
    )
    audit_log(actor=by, action=MemberAudit.USER_LINK, target=member, data={"user": user.pk})
    return member
