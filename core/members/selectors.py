"""Reads of the member registry."""

from django.db.models import Count, Q, QuerySet

from .models import Agency, Member


def member_search(
    *, q: str = "", agency_id: int | None = None, status: str = ""
) -> QuerySet[Member]:
    qs = Member.objects.select_related("agency")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(full_name__icontains=q)
            | Q(nip__startswith=q)
            | Q(number__iexact=q)
            | Q(number__istartswith=q)
            | Q(nik__startswith=q)
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
