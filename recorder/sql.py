"""The cursor for statements that carry a recording's bytes."""
from contextlib import contextmanager

from django.db import connection


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
