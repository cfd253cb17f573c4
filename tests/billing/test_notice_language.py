"""An in-app notice about the subscription (the billing page, the staff banner) is said in
the reader's language: it is written in Indonesian with its billing e-mail, keeps what it
says as params (``billing.notices``), and is rendered again when shown. A notice kept
before params shows its stored text."""

from datetime import date, timedelta

from django.core import mail
from django.utils import timezone, translation

from billing import services
from billing.models import Notice, Subscription
from billing.notices import SUBJECTS, notice_shown


def _page(client, path: str, lang: str) -> str:
    client.cookies["django_language"] = lang
    return client.get(path).content.decode()


def _notices_box(client, lang: str) -> str:
    page = _page(client, "/langganan/", lang)
    return page.split("<ul>", 1)[1].split("</ul>", 1)[0] if "<ul>" in page else page


def test_a_trial_ended_notice_is_said_in_english_to_an_english_reader(
    tenant_a, admin_client_a, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.billing_sweep(now=sub.trial_ends_at + timedelta(hours=1))
    notice = Notice.objects.get(subscription=sub, kind="trial_ended")
    assert notice.message == f"Masa uji coba {tenant_a.name} berakhir"  # as the e-mail's subject
    assert notice.params == {"name": tenant_a.name}
    en = _page(admin_client_a, "/langganan/", "en")
    assert f"The trial of {tenant_a.name} has ended" in en and "Masa uji coba" not in en, en
    id_ = _page(admin_client_a, "/langganan/", "id")
    assert f"Masa uji coba {tenant_a.name} berakhir" in id_


def test_the_banner_says_the_notice_in_the_readers_language(admin_client_a, tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    Subscription.objects.filter(pk=sub.pk).update(
        over_limit_since=None, trial_ends_at=timezone.now() + timedelta(days=30)
    )
    Notice.objects.create(
        subscription=sub,
        kind="proof_rejected",
        message="Bukti transfer tagihan INV-9 ditolak. Alasan: buram",
        params={"name": tenant_a.name, "number": "INV-9", "reason": "buram"},
    )
    en = _page(admin_client_a, "/anggota/", "en")
    assert "Transfer proof for invoice INV-9 rejected. Reason: buram" in en
    assert "Bukti transfer" not in en
    id_ = _page(admin_client_a, "/anggota/", "id")
    assert "Bukti transfer tagihan INV-9 ditolak. Alasan: buram" in id_


def test_a_notice_kept_before_params_shows_its_stored_text(admin_client_a, tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    Subscription.objects.filter(pk=sub.pk).update(
        over_limit_since=None, trial_ends_at=timezone.now() + timedelta(days=30)
    )
    Notice.objects.create(subscription=sub, kind="period_ended", message="Pesan lama tersimpan")
    assert "Pesan lama tersimpan" in _page(admin_client_a, "/anggota/", "en")
    assert "Pesan lama tersimpan" in _page(admin_client_a, "/langganan/", "en")


PARAMS = {
    "name": "KPRI Maju",
    "number": "INV-1",
    "due_on": date(2026, 5, 4).isoformat(),
    "voided": ["INV-1", "INV-2"],
    "left": [],
    "plan": "Kecil",
    "trial_ends_on": date(2026, 5, 4).isoformat(),
    "numbers": "INV-1, INV-2",
    "remaining": "150000",
    "excess": "2500",
}
INDONESIAN = ("uji coba", "tagihan", "Pembayaran", "Masa", "Akses", "diarsipkan", "dibatalkan")
INDONESIAN += ("diterima", "sisa", "kelebihan", "melebihi", "Mei", "berakhir", "ditolak")


def test_every_kind_is_said_in_english_without_indonesian_words():
    for kind in SUBJECTS:
        with translation.override("en"):
            en = notice_shown(kind=kind, params=PARAMS, message="?")
        with translation.override("id"):
            id_ = notice_shown(kind=kind, params=PARAMS, message="?")
        assert en != "?" and id_ != "?" and en != id_, kind
        for word in INDONESIAN:
            assert word not in en, (kind, en)


def test_the_indonesian_notice_is_the_emails_subject(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_status_override(
            subscription=sub, status="archived", operator="ops", reason="Tidak membayar"
        )
    notice = Notice.objects.get(subscription=sub, kind="archived")
    with translation.override("id"):
        said = notice_shown(kind=notice.kind, params=notice.params, message="?")
    assert said == notice.message, (said, notice.message)
    assert notice.message.startswith(mail.outbox[-1].subject.removeprefix("[Lumbung] "))


def test_every_kind_said_in_indonesian_is_its_emails_subject():
    """The notices' texts (``SUBJECTS``) are a second wording of the e-mail subjects
    (``billing/emails/<kind>_subject.txt``): for every kind, rendered in Indonesian from
    one context, the two say the same, so neither drifts from the other."""
    from types import SimpleNamespace as NS

    from django.template.loader import render_to_string

    from billing.notices import notice_params

    def ctx(**sub):
        subscription = NS(
            archived_by_operator=False, suspended_by_operator=False, plan=NS(name="Dasar")
        )
        for k, v in sub.items():
            setattr(subscription, k, v)
        return {
            "cooperative": NS(name="KPRI Maju Bersama"),
            "subscription": subscription,
            "invoice": NS(number="INV-2027-000042", due_on=date(2027, 3, 10)),
            "voided": [NS(number="INV-1"), NS(number="INV-2")],
            "left": [NS(number="INV-3")],
            "trial_ends_on": date(2027, 4, 30),
            "numbers": "INV-4, INV-5",
            "remaining": "1250000",
            "excess": "7500",
        }

    cases = [(kind, ctx()) for kind in SUBJECTS]
    cases += [
        ("archived", ctx(archived_by_operator=True)),
        ("bank_invoices_voided", {**ctx(), "voided": []}),
    ]
    with translation.override("id"):
        for kind, context in cases:
            subject = render_to_string(f"billing/emails/{kind}_subject.txt", context).strip()
            said = SUBJECTS[kind](notice_params(kind, context))
            assert subject == f"[Lumbung] {said}", kind
