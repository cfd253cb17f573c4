"""What the cooperative's side tells whoever reads its shared figures (the Dinas view,
a public-schema app core may not import): ``consent_changed`` is sent inside the
transaction that changed the consent, in the cooperative's schema; a receiver that acts
on it defers its work to the commit (``transaction.on_commit``)."""

from django.dispatch import Signal

# kwargs: share (bool), the consent as now set
consent_changed = Signal()
