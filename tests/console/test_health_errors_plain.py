"""What the console shows when something technical fails (the Celery broker unreachable,
a cooperative's schema unreadable, its figures not refreshed) is a plain sentence in the
operator's language; the exception's text goes to the log, not the page."""

from lumbung.console import selectors
from lumbung.console.stats import stats_refresh
from tenants.models import Cooperative


def _page(client, path: str, lang: str) -> str:
    client.cookies["django_language"] = lang
    resp = client.get(path)
    assert resp.status_code == 200
    return " ".join(resp.content.decode().split())


def test_an_unreachable_broker_is_said_plainly_and_logged(op_clients, settings, caplog):
    settings.CELERY_BROKER_URL = "redis://:s3cret@127.0.0.1:1/0"
    assert selectors.queue_lengths()["error"]
    assert "127.0.0.1:1" in caplog.text  # the technical error, in the log
    en = _page(op_clients["admin"], "/konsol/kesehatan/", "en")
    assert "The Celery broker (Redis) cannot be reached" in en, en
    assert "ConnectionError" not in en and "Error 111" not in en and "s3cret" not in en
    id_ = _page(op_clients["admin"], "/konsol/kesehatan/", "id")
    assert "Broker Celery (Redis) tidak dapat dihubungi" in id_


def test_a_broker_that_is_not_redis_does_not_show_its_address(op_clients, settings):
    settings.CELERY_BROKER_URL = "amqp://user:s3cret@rabbit:5672//"
    en = _page(op_clients["admin"], "/konsol/kesehatan/", "en")
    assert "s3cret" not in en and "The Celery broker is not Redis" in en, en


def test_an_unreadable_schema_is_said_plainly_on_the_cooperatives_page(op_clients, caplog):
    broken = Cooperative(slug="tanpa-skema-2", name="KPRI Tanpa Skema", schema_name="coop_tanpa2")
    broken.auto_create_schema = False
    broken.save()
    stats_refresh()  # its figures fail too
    en = _page(op_clients["admin"], f"/konsol/koperasi/{broken.pk}/", "en")
    assert "This cooperative&#x27;s schema cannot be read" in en, en
    assert "The figures could not be refreshed" in en, en
    assert "coop_tanpa2:" not in en and "Error:" not in en and "does not exist" not in en, en
    assert "coop_tanpa2" in caplog.text
