from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION lumbung_forbid_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% on %.% is not allowed: rows are immutable', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_immutable BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION lumbung_forbid_change();
"""
REVERSE = "DROP TRIGGER IF EXISTS audit_auditevent_immutable ON audit_auditevent;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
