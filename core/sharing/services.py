from django.db import transaction
from django.utils import timezone

from core.audit.services import audit_log
from core.sharing.audit import SharingAudit

from .models import DinasConsent
from .signals import consent_changed


@transaction.atomic
def dinas_consent_set(*, share: bool, by, reason: str = "") -> DinasConsent:
    """Turn sharing of the cooperative's indicators with its Dinas on or off. Every
    change writes an audit row and sends ``consent_changed`` (the Dinas side refreshes
    this cooperative's figures when it commits: withdrawn, they go at once, not at the
    next daily refresh); setting the same value again writes and sends nothing."""
    consent, _created = DinasConsent.objects.select_for_update().get_or_create(pk=1)
    if consent.share_indicators == share:
        return consent
    consent.share_indicators = share
    consent.changed_at = timezone.now()
    consent.changed_by = by if getattr(by, "is_authenticated", False) else None
    consent.save()
    audit_log(
        actor=by,
        action=SharingAudit.CONSENT_ON if share else SharingAudit.CONSENT_OFF,
        target=consent,
        reason=reason,
        data={"share_indicators": share},
    )
    consent_changed.send(sender=DinasConsent, share=share)
    return consent
