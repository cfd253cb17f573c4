"""The daily backups are of real cooperatives only: a practice copy (demo data, deleted
after 90 days unused) gets no folder in BACKUP_DIR and no BACKUP_KEEP files."""

import pytest

pytestmark = pytest.mark.slow


def test_practice_copies_are_not_in_the_daily_backups(practice_a, settings, tmp_path, monkeypatch):
    from tenants import tasks

    settings.BACKUP_DIR = str(tmp_path)
    queued = []
    monkeypatch.setattr(tasks.cooperatives_backup_group_task, "delay", queued.append)
    result = tasks.cooperatives_backup_task()
    slugs = [s for group in queued for s in group]
    assert "alpha" in slugs and "beta" in slugs
    assert practice_a.slug not in slugs
    assert result["queued"] == len(slugs)
