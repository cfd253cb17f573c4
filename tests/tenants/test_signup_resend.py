"""The status page of a pending sign-up has a "send the link again" button for the
browser that submitted it: a fresh verification e-mail without filling in the form again,
at most one per SIGNUP_RESEND_INTERVAL (the same rule as sending the form again), audited.
Another browser (someone who only knows the status address) gets no button and cannot
send mail to the address; nothing is sent once the address is verified."""

from datetime import timedelta

from tenants.models import SignupRequest
from tests.tenants.test_signup import DEWI, _client, _clock, _mails_to, _submit, tasks_eager

BUTTON = "Kirim ulang tautan verifikasi"


def _resend(client, public_id, capture):
    with tasks_eager(), capture(execute=True):
        return client.post(f"/daftar/status/{public_id}/kirim-ulang/", follow=True)


def test_the_submitting_browser_sends_the_link_again_from_the_status_page(
    db, django_capture_on_commit_callbacks
):
    client = _client()
    first = _submit(client, django_capture_on_commit_callbacks, slug="ulang")
    signup = SignupRequest.objects.get(slug="ulang")
    page = client.get(first["Location"]).content.decode()
    assert BUTTON in page
    # Straight away: too soon, nothing sent, the page says when.
    resp = _resend(client, signup.public_id, django_capture_on_commit_callbacks)
    assert resp.status_code == 200 and "dapat dikirim ulang dalam 5 menit" in resp.content.decode()
    assert len(_mails_to(DEWI)) == 1
    with _clock(timedelta(minutes=6)):
        resp = _resend(client, signup.public_id, django_capture_on_commit_callbacks)
        assert f"Tautan verifikasi telah dikirim ulang ke {DEWI}" in resp.content.decode()
    assert len(_mails_to(DEWI)) == 2
    signup.refresh_from_db()
    assert signup.verification_sent_at > signup.created_at + timedelta(minutes=5)


def test_another_browser_gets_no_button_and_cannot_send_mail(
    db, django_capture_on_commit_callbacks
):
    _submit(_client(), django_capture_on_commit_callbacks, slug="asing")
    signup = SignupRequest.objects.get(slug="asing")
    stranger = _client()
    page = stranger.get(f"/daftar/status/{signup.public_id}/").content.decode()
    assert BUTTON not in page
    with _clock(timedelta(minutes=6)):
        resp = _resend(stranger, signup.public_id, django_capture_on_commit_callbacks)
    assert resp.status_code == 404
    assert len(_mails_to(DEWI)) == 1


def test_nothing_is_sent_once_verified_and_get_is_not_allowed(
    db, django_capture_on_commit_callbacks
):
    client = _client()
    _submit(client, django_capture_on_commit_callbacks, slug="sudah")
    signup = SignupRequest.objects.get(slug="sudah")
    assert client.get(f"/daftar/status/{signup.public_id}/kirim-ulang/").status_code == 405
    SignupRequest.objects.filter(pk=signup.pk).update(status=SignupRequest.Status.QUEUED)
    with _clock(timedelta(minutes=6)), django_capture_on_commit_callbacks(execute=False):
        page = client.get(f"/daftar/status/{signup.public_id}/").content.decode()
        resp = client.post(f"/daftar/status/{signup.public_id}/kirim-ulang/", follow=True)
    assert BUTTON not in page
    assert resp.status_code == 200 and len(_mails_to(DEWI)) == 1
