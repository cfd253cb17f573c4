"""The consent screen in the cooperative's settings (/pengaturan/dinas/)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit.models import AuditEvent
from core.common.permissions import SETTINGS_ADMINS, R, role_required

from .selectors import dinas_consent_get
from .services import dinas_consent_set

READERS = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PENGAWAS})


class ConsentForm(forms.Form):
    share_indicators = forms.BooleanField(
        label=gettext_lazy("Bagikan indikator koperasi dengan Dinas Koperasi saya"),
        required=False,
    )


@role_required(read=READERS, write=SETTINGS_ADMINS)
def consent(request):
    current = dinas_consent_get()
    form = ConsentForm(
        request.POST if request.method == "POST" else None,
        initial={"share_indicators": current.share_indicators},
    )
    if request.method == "POST" and form.is_valid():
        share = form.cleaned_data["share_indicators"]
        if share != current.share_indicators:
            dinas_consent_set(share=share, by=request.user)
            messages.success(
                request,
                _("Indikator koperasi kini dibagikan dengan Dinas Koperasi.")
                if share
                else _("Indikator koperasi tidak lagi dibagikan dengan Dinas Koperasi."),
            )
        return redirect("sharing:consent")
    history = AuditEvent.objects.filter(action__startswith="sharing.consent").order_by(
        "-created_at", "-id"
    )[:50]
    return render(
        request,
        "sharing/consent.html",
        {
            "form": form,
            "consent": current,
            "history": history,
            "can_change": request.user.role in SETTINGS_ADMINS,
        },
    )
