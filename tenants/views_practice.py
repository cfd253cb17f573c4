"""The practice copy screen in a cooperative's settings (/pengaturan/latihan/): open it,
enter it (staff logins copied again), reset it to a fresh copy (asks first), delete it.
Admin only. On the practice copy's own host the screen says where it is managed."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.common.forms import application_errors_to_messages
from core.common.permissions import SETTINGS_ADMINS, role_required

from .practice import practice_delete, practice_get, practice_open, practice_reset, unused_days
from .services import tenant_url

ACTIONS = ("open", "reset", "delete")


@role_required(read=SETTINGS_ADMINS, write=SETTINGS_ADMINS)
def practice_settings(request):
    coop = request.tenant
    if coop.is_practice:
        return render(
            request,
            "tenants/practice/settings.html",
            {"in_practice": True, "real_url": tenant_url(coop.practice_of.slug)},
        )
    practice = practice_get(cooperative=coop)
    confirm = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("Tindakan tidak dikenal."))
            return redirect("practice:settings")
        if action in ("reset", "delete") and request.POST.get("confirmed") != "1":
            confirm = action  # show the question; nothing done yet
        else:
            with application_errors_to_messages(request):
                if action == "open":
                    practice = practice_open(cooperative=coop, by=request.user)
                    return HttpResponseRedirect(tenant_url(practice.slug) + "masuk/")
                if action == "reset":
                    practice_reset(cooperative=coop, by=request.user)
                    messages.success(request, _("Ruang latihan disalin ulang dari data contoh."))
                elif practice is not None:
                    practice_delete(practice=practice, by=request.user)
                    messages.success(request, _("Ruang latihan dihapus."))
            return redirect("practice:settings")
    return render(
        request,
        "tenants/practice/settings.html",
        {
            "practice": practice,
            "practice_url": tenant_url(practice.slug) if practice else "",
            "confirm": confirm,
            "unused_days": unused_days(),
        },
    )
