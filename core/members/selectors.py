"""Reads of the member registry."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from core.common.dates import format_tanggal
from core.common.money import split_by_weights

from .models import Agency, Heir, Member
from .validators import ID_SEPARATORS

# the apostrophes people type in names (Ni'mah, Ma’ruf): any of them finds any other
_APOSTROPHES = "'’‘`´ʼ"


def name_contains(q: str) -> Q:
    """Names containing ``q``, case-insensitive; an apostrophe in ``q`` matches any kind
    of apostrophe in the name."""
    if not any(c in _APOSTROPHES for c in q):
        return Q(full_name__icontains=q)
    parts = re.split(f"[{_APOSTROPHES}]", q)
    return Q(full_name__iregex=f"[{_APOSTROPHES}]".join(re.escape(p) for p in parts))


def id_digits(q: str) -> str:
    """A NIP or NIK as printed ("19850315 201001 1 001") or with dots: its digits;
    anything else unchanged."""
    digits = ID_SEPARATORS.sub("", q)
    return digits if digits.isascii() and digits.isdigit() else q


def member_search(
    *, q: str = "", agency_id: int | None = None, status: str = ""
) -> QuerySet[Member]:
    qs = Member.objects.select_related("agency")
    # names are stored with single spaces: so is the query
    q = " ".join((q or "").split())
    if q:
        ids = id_digits(q)
        qs = qs.filter(
            name_contains(q)
            | Q(nip__startswith=ids)
            | Q(number__iexact=q)
            | Q(number__istartswith=q)
            | Q(nik__startswith=ids)
        )
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("number")


def member_ids_existing(ids) -> set[int]:
    """Of ``ids``, those of members of this cooperative (any status: one who left still
    has lines); the ledger's check of a manual journal line's member
    (``settings.LEDGER_MEMBER_IDS_EXISTING``)."""
    return set(Member.objects.filter(pk__in=set(ids)).values_list("pk", flat=True))


def member_labels(ids) -> dict[int, str]:
    """``{id: "A00001 Nama"}`` for the members of ``ids`` (any status): how the journal
    names a line's member (``settings.LEDGER_MEMBER_LABELS``), as the batches and cards
    do."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {
        pk: f"{number} {name}"
        for pk, number, name in Member.objects.filter(pk__in=ids).values_list(
            "pk", "number", "full_name"
        )
    }


def member_for_user(user) -> Member | None:
    if not (user and user.is_authenticated):
        return None
    return Member.objects.filter(user=user).select_related("agency").first()


def agency_list(*, active_only: bool = False) -> QuerySet[Agency]:
    qs = Agency.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("name")


def member_statistics(*, date_from, date_to) -> dict:
    """Active members now; joined and left between the dates (inclusive). One query."""
    return Member.objects.aggregate(
        active=Count("pk", filter=Q(status=Member.Status.ACTIVE)),
        joined=Count("pk", filter=Q(join_date__range=(date_from, date_to))),
        left=Count("pk", filter=Q(exit_date__range=(date_from, date_to))),
    )


def member_counts() -> dict[str, int]:
    """Members of the current schema, all and active (read by the operators' usage
    figures and billing, one cooperative at a time)."""
    return Member.objects.aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(status=Member.Status.ACTIVE))
    )


def member_rejoined_note(member: Member) -> str:
    """ "This person was a member before as No. X, left on Y" for a membership that
    continues an earlier one; empty otherwise."""
    prev = member.previous_member
    if prev is None:
        return ""
    return previous_membership_note(prev)


def previous_membership_note(prev: Member) -> str:
    """ "Pernah terdaftar sebagai No. X, keluar tanggal Y (status)" of a former
    membership."""
    return _("Anggota ini pernah terdaftar sebagai No. %(no)s, keluar tanggal %(d)s (%(s)s).") % {
        "no": prev.number,
        "d": format_tanggal(prev.exit_date),
        "s": prev.get_status_display(),
    }


def heir_label(heir: Heir) -> str:
    """``Siti (istri, 33,5%)``: an heir as the history and messages name them."""
    share = f"{heir.share_percent.normalize():f}".replace(".", ",")
    return f"{heir.full_name} ({heir.relationship}, {share}%)"


@dataclass(frozen=True)
class RejoinPreview:
    """What the registration form says before a former member's new membership is
    created: who they were, and what the new membership takes over."""

    previous: Member
    note: str
    heirs: list[Heir]  # the active heirs that will be copied
    has_login: bool

    @property
    def heir_labels(self) -> list[str]:
        return [heir_label(h) for h in self.heirs]


def rejoin_preview(prev: Member) -> RejoinPreview:
    """The re-join confirmation's content for the former membership ``prev``: its note,
    the active heirs that will be copied, whether a portal login moves."""
    return RejoinPreview(
        previous=prev,
        note=previous_membership_note(prev),
        heirs=list(prev.heirs.filter(is_active=True).order_by("pk")),
        has_login=prev.user_id is not None,
    )


def member_memberships(member: Member) -> list[Member]:
    """The person's memberships: ``member`` first, then each earlier one it continues
    (``previous_member``: the person left and joined again), newest first."""
    out, seen = [member], {member.pk}
    prev_id = member.previous_member_id
    while prev_id is not None and prev_id not in seen:
        prev = Member.objects.get(pk=prev_id)
        out.append(prev)
        seen.add(prev.pk)
        prev_id = prev.previous_member_id
    return out


def member_next_membership(member: Member) -> Member | None:
    """The membership that continued ``member`` (the person joined again), if any."""
    return Member.objects.filter(previous_member=member).first()


def heir_parts(*, member: Member, amount: Decimal) -> list[dict]:
    """What each active heir of ``member`` receives of ``amount`` (a deceased member's
    exit payout, or an SHU share paid after the death): split by their shares (weights,
    so shares adding up to less than 100 % still share the whole amount), in whole
    rupiah (sen when the amount has sen); the units left by rounding go to the largest
    remainders, then to the heir recorded first. The parts add up to ``amount`` exactly.
    No heir registered, or nothing to pay: an empty list."""
    if amount <= 0:
        return []
    heirs = list(member.heirs.filter(is_active=True).order_by("pk"))
    if not heirs:
        return []
    whole = amount == amount.to_integral_value()
    unit = Decimal(1) if whole else Decimal("0.01")
    parts = split_by_weights(
        int(amount / unit),
        [(h.pk, int(h.share_percent * 100)) for h in heirs],
        order=list(range(len(heirs))),
    )
    return [
        {
            "name": h.full_name,
            "relationship": h.relationship,
            "share_percent": str(h.share_percent.normalize()),
            "amount": str(parts[h.pk] * unit),
        }
        for h in heirs
    ]
