"""The audit log screen (namespace "audit"): admin, ketua, bendahara and pengawas read it."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


@role_required(read=AUDIT_READERS, write=frozenset())
def audit_list(request):
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, actions=list(actions))
    qs = AuditEvent.objects.all()
    if form.is_valid():
        qs = audit_filter(qs, form.cleaned_data)
    return render(
        request,
        "audit/audit_list.html",
        {"page": paginate(request, qs, per_page=50), "filter_form": form},
    )


@role_required(read=AUDIT_READERS, write=frozenset())
def audit_detail(request, pk: int):
    event = get_object_or_404(AuditEvent, pk=pk)
    return render(request, "audit/audit_detail.html", {"event": event})
