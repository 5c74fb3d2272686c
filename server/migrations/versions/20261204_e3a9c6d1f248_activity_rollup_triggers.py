"""activity rollup triggers

The monthly rollups and day totals follow ``activity_daily`` in the database: a trigger on
each insert or update of a daily row adds the change to its month's row (one more day when the
daily row is new) and, for a person's row (not a team's own, user 0), to the day's totals. A
recorded activity is then one statement (the daily upsert) instead of three, and the counts
stay exact under concurrent requests (the trigger runs under the daily row's lock).

Revision ID: e3a9c6d1f248
Revises: d4a8c2e6f1b7
Create Date: 2026-12-04 22:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a9c6d1f248"
down_revision = "d4a8c2e6f1b7"
branch_labels = None
depends_on = None

_MONTHLY = """
    INSERT INTO activity_monthly (kind, month, user_id, team_id, days, count)
    VALUES (NEW.kind, {month}, NEW.user_id, NEW.team_id, {made}, {added})
    ON CONFLICT (kind, month, user_id, team_id) DO UPDATE
    SET days = activity_monthly.days + excluded.days,
        count = activity_monthly.count + excluded.count;
"""
_TOTALS = """
    INSERT INTO activity_day_totals (kind, day, users, count)
    SELECT NEW.kind, NEW.day, {made}, {added} WHERE NEW.user_id <> 0
    ON CONFLICT (kind, day) DO UPDATE
    SET users = activity_day_totals.users + excluded.users,
        count = activity_day_totals.count + excluded.count;
"""

_POSTGRES_FUNCTION = """
CREATE FUNCTION activity_daily_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    made integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE 0 END;
    added integer := NEW.count - CASE WHEN TG_OP = 'INSERT' THEN 0 ELSE OLD.count END;
BEGIN
    {monthly}
    {totals}
    RETURN NULL;
END
$$
""".format(
    monthly=_MONTHLY.format(month="date_trunc('month', NEW.day)::date", made="made", added="added"),
    totals=_TOTALS.format(made="made", added="added"),
)


def _sqlite_trigger(name: str, event: str, made: str, added: str) -> str:
    month = "date(NEW.day, 'start of month')"
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON activity_daily FOR EACH ROW BEGIN"
        + _MONTHLY.format(month=month, made=made, added=added)
        + _TOTALS.format(made=made, added=added)
        + "END"
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER activity_daily_rollup AFTER INSERT OR UPDATE OF count"
            " ON activity_daily FOR EACH ROW EXECUTE FUNCTION activity_daily_rollup()"
        )
    else:
        op.execute(_sqlite_trigger("activity_daily_inserted", "INSERT", "1", "NEW.count"))
        op.execute(
            _sqlite_trigger(
                "activity_daily_counted", "UPDATE OF count", "0", "NEW.count - OLD.count"
            )
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER activity_daily_rollup ON activity_daily")
        op.execute("DROP FUNCTION activity_daily_rollup()")
    else:
        op.execute("DROP TRIGGER activity_daily_counted")
        op.execute("DROP TRIGGER activity_daily_inserted")
