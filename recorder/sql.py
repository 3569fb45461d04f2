"""The cursor for statements that carry a recording's bytes; the database's clock."""
from contextlib import contextmanager
from datetime import datetime, timezone

from django.db import connection
from django.db.models.functions import Now
from django.db.models.sql import Query


@contextmanager
def bytes_cursor():
    """A cursor whose parameters travel apart from the statement on Postgres (psycopg's server-side
    binding): a request body or a stored chunk goes as it is instead of being escaped into the SQL
    text, which cost a sixth of an ingest request's time. There it is psycopg's own cursor, so COPY
    is at hand too (insights.services.facts_insert). Errors are Django's, as from any cursor,
    so that a database that is down still answers 503 and a worker still retries."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def now_sql() -> str:
    """The database's clock in this database's SQL (Django's Now()), for a statement that writes it."""
    sql, _ = Query(None).get_compiler(connection=connection).compile(Now())
    return sql


def db_now() -> datetime:
    """The database's clock: what a process compares against times that other processes wrote (a batch's
    arrival, a worker's lease). Web and worker hosts' clocks may be minutes apart; the database's is one."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {now_sql()}", [])
        return db_datetime(cursor.fetchone()[0])


def db_datetime(value) -> datetime:
    """A datetime as a raw statement returns it: Postgres gives one; SQLite gives UTC as text, or as a naive
    datetime for a column Django made (it declares them `datetime`, which Django's driver settings parse)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
