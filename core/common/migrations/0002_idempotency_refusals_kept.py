"""An Idempotency-Key keeps a refusal (4xx) too, replayed like a success; a 5xx never.
Going back, the kept refusals are deleted first (the old rule allowed 2xx only): their
retries then run again, as they did before."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('common', '0001_idempotency_key'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='idempotencykey',
            name='common_idempotency_only_success_answers_kept',
        ),
        migrations.RunSQL(
            migrations.RunSQL.noop,
            reverse_sql="DELETE FROM common_idempotencykey WHERE status_code >= 400",
        ),
        migrations.AddConstraint(
            model_name='idempotencykey',
            constraint=models.CheckConstraint(condition=models.Q(('status_code__isnull', True), models.Q(('body__isnull', False), ('status_code__gte', 200), ('status_code__lt', 300)), models.Q(('body__isnull', False), ('status_code__gte', 400), ('status_code__lt', 500)), _connector='OR'), name='common_idempotency_only_success_or_refusal_kept'),
        ),
    ]
