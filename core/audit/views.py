"""The audit log screen (namespace "audit"): admin, ketua, bendahara and pengawas read it."""

import datetime as dt
import json

from django import forms
from django.db import connection
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.common.dates import format_tanggal, format_waktu
from core.common.exports import Column, export_format, export_response
from core.common.pagination import paginate
from core.common.permissions import R, role_required

from .models import AuditEvent

AUDIT_READERS = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PENGAWAS})


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari"), required=False, help_text=_("Objek, alasan atau pelaku"))
    action = forms.ChoiceField(label=_("Tindakan"), required=False)
    actor = forms.CharField(label=_("Pelaku"), required=False)
    date_from = forms.DateField(
        label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Semua tindakan"))] + [(a, a) for a in actions]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_filter(qs, data: dict):
    if data.get("q"):
        q = data["q"].strip()
        qs = qs.filter(
            Q(target_repr__icontains=q)
            | Q(reason__icontains=q)
            | Q(actor_label__icontains=q)
            | Q(target_id=q)
        )
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("actor"):
        qs = qs.filter(actor_label__icontains=data["actor"].strip())
    if data.get("date_from"):
        qs = qs.filter(created_at__gte=_day_start(data["date_from"]))
    # the calendar's last day has no next day to stop before: nothing is after it
    if data.get("date_to") and data["date_to"] < dt.date.max:
        qs = qs.filter(created_at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    return qs


# The file an auditor takes away: the screen's columns, the object's type and id and
# the recorded data as they are kept.
AUDIT_COLUMNS = [
    Column(_("Waktu"), lambda e: timezone.localtime(e.created_at).replace(tzinfo=None)),
    Column(_("Pelaku"), "actor_label"),
    Column(_("Tindakan"), "action"),
    Column(_("Objek"), "target_repr"),
    Column(_("Alasan"), "reason"),
    Column(_("Jenis objek"), "target_type"),
    Column(_("ID objek"), "target_id"),
    Column(_("Data"), lambda e: json.dumps(e.data, ensure_ascii=False, default=str)),
]


def _audit_heading(data: dict) -> list[str]:
    """The XLSX's title lines: cooperative, title, the dates and filters chosen, when
    printed."""
    f, t = data.get("date_from"), data.get("date_to")
    if f or t:
        period = gettext("Periode: %(f)s s.d. %(t)s") % {
            "f": format_tanggal(f) if f else "…",
            "t": format_tanggal(t) if t else "…",
        }
    else:
        period = gettext("Periode: semua tanggal")
    filters = [
        f"{label}: {data[key]}"
        for key, label in (
            ("action", gettext("Tindakan")),
            ("actor", gettext("Pelaku")),
            ("q", gettext("Cari")),
        )
        if data.get(key)
    ]
    lines = [getattr(connection.tenant, "name", ""), gettext("Catatan audit"), period]
    if filters:
        lines.append(gettext("Saringan: %(f)s") % {"f": "; ".join(filters)})
    lines.append(gettext("Dicetak %(at)s") % {"at": format_waktu(timezone.localtime())})
    return lines


@role_required(read=AUDIT_READERS, write=frozenset())
def audit_list(request):
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, actions=list(actions))
    qs = AuditEvent.objects.all()
    data = {}
    if form.is_valid():
        data = form.cleaned_data
        qs = audit_filter(qs, data)
    if fmt := export_format(request):
        return export_response(
            fmt=fmt,
            filename=f"audit-{timezone.localdate():%Y%m%d}",
            title=gettext("Catatan audit"),
            columns=AUDIT_COLUMNS,
            rows=qs.iterator(chunk_size=1000),
            heading=_audit_heading(data),
        )
    return render(
        request,
        "audit/audit_list.html",
        {"page": paginate(request, qs, per_page=50), "filter_form": form},
    )


@role_required(read=AUDIT_READERS, write=frozenset())
def audit_detail(request, pk: int):
    event = get_object_or_404(AuditEvent, pk=pk)
    # the data as the API and the exports give it (JSON), not Python's repr (True, None)
    data = json.dumps(event.data, indent=2, ensure_ascii=False, default=str) if event.data else ""
    return render(request, "audit/audit_detail.html", {"event": event, "data": data})
