"""Writes of the recorder app: storing accepted chunks, keeping Session rows up to date, sweeping.

A chunk's life: ingest writes it `pending` with its request body; a worker
claims it (and the other pending chunks of its session, in order) with a
lease, stores its scrubbed events and folds its summary into the session
in one transaction; or marks it `failed` with the reason, keeping the body
for a re-drive. The sweeper queues again what waited too long (a message the
broker lost, a worker that died holding a lease).
"""
import functools
import logging
import os
import time
from concurrent import futures
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Greatest, Now
from user_agents import parse as ua_parse

from insights.services import FindingsWrites, signals_fold, signals_settle
from ops import metrics
from privacy.scrub import ScrubState, StringScrub, events_scrub, url_names_parse

from .models import Chunk, DeletedSession, PageView, Segment, Session
from .rollups import rollups_sessions_stored, session_counted_state, site_urls_note
from .processing import MAX_TIMESTAMP, BatchError, Summary, batch_parse, batch_summarise, events_encode, events_restore
from .sql import bytes_cursor, db_datetime, db_now, now_sql

log = logging.getLogger(__name__)
# A visitor's clock this far ahead of the server's, or behind it, moves its session's times (clock_offset).
CLOCK_AHEAD_MS, CLOCK_BEHIND_MS = 1_000, 60_000
CLOCK_MAX_MS = 100 * 366 * 86_400_000  # a clock that reads 1970 is 57 years off; no offset goes past this
ACCEPTED_ALREADY = 1 << 40  # the size limit the worker holds a body to: none (ingest's were met on arrival)


class Prepared:
    """One claimed chunk after processing: what to write, or why it failed, and how long it took."""

    def __init__(self, chunk: Chunk):
        self.chunk = chunk
        self.blob: bytes | None = None
        self.summary: Summary | None = None
        self.error = ""
        self.seconds = 0.0


def chunks_process(*, chunk_ids: list[int], follow: int = 3) -> int:
    """Store these pending chunks and every other pending chunk of their sessions, in seq order,
    with those of the sessions that waited longest, up to CHUNK_CLAIM_MAX chunks and CHUNK_CLAIM_BYTES
    received bytes in all.

    Safe to run twice or concurrently: chunks are claimed with a lease by a
    conditional UPDATE, and stored (with the session updated) only by the
    holder of that lease. A claim is written in one transaction. While more
    waits, further claims follow (for up to CHUNK_DRAIN_SECONDS), each
    prepared while the one before commits. Chunks of the same sessions that
    came in meanwhile are then stored too (up to `follow` more claims).
    Returns how many chunks this run stored.
    """
    if _stored_lately.holds(chunk_ids):
        return 0  # the usual message under load: an earlier claim of this process took its chunks along
    session_ids = set(
        Chunk.objects.filter(pk__in=chunk_ids, status=Chunk.PENDING).values_list("session_id", flat=True)
    )
    if not session_ids:
        return 0  # stored already, often by the claim of an earlier message that took them along
    more = _take_along(session_ids, settings.CHUNK_CLAIM_MAX - len(chunk_ids))
    # A session with a chunk that workers held and never gave back (they died, or hit their time limit) is
    # stored last, alone: if that chunk kills this worker too, no other session's chunks go down with it
    # (each claim counts an attempt of every chunk it holds, and CHUNK_MAX_ATTEMPTS of them fail a chunk).
    retried = _retried(session_ids)
    claimed, count = [], 0
    if session_ids - retried:
        claim = _Claim.take(session_ids - retried)
        claimed += claim.ids
        if claim.ids:
            count, sessions = _claims_store(claim, more)
            count += _store_arrived_meanwhile(sessions, follow)
    for session_id in sorted(retried, key=str):
        claim = _Claim.take({session_id})
        claimed += claim.ids
        if claim.ids:
            count += _claims_store(claim, False)[0]
    if _left_to_another(chunk_ids, claimed):
        raise SessionBusy(stored=count)
    return count


# A chunk two claims held and never gave back (their workers died, or a database outage kept them from
# saying so) is stored alone: one whose processing kills its worker then counts no more attempts of others.
ALONE_AFTER_ATTEMPTS = 2


def _retried(session_ids: set) -> set:
    """Those of these sessions with a pending chunk that claims before held and never gave back."""
    return set(
        Chunk.objects.filter(session_id__in=session_ids, status=Chunk.PENDING, attempts__gte=ALONE_AFTER_ATTEMPTS)
        .order_by().values_list("session_id", flat=True).distinct()  # (DISTINCT would take in the default order's seq)
    )


def _take_along(session_ids: set, room: int) -> bool:
    """Add the sessions of the chunks waiting longest, within `room` chunks and CHUNK_CLAIM_BYTES; whether
    more are waiting than that.

    Under load the queue holds many small messages: a claim that takes along
    what waits longest stores many chunks in one transaction, and the
    messages that follow find theirs done. A claim's statements cost about
    the same for 10 chunks as for 500; its bytes bound its memory and time.
    """
    if room <= 0:
        return False
    rows = list(_free(Chunk.objects.filter(status=Chunk.PENDING, attempts__lt=ALONE_AFTER_ATTEMPTS))
                .order_by("queued_at").values_list("session_id", "received_bytes")[:room])
    budget = settings.CHUNK_CLAIM_BYTES
    for session_id, size in rows:
        budget -= size
        if budget < 0:
            return True
        session_ids.add(session_id)
    return len(rows) == room


class _Claim:
    """Chunks this worker holds under `lease`, processed and ready to be written by `commit`."""

    def __init__(self, ids: list[int], lease: datetime | None, groups: list[tuple]):
        self.ids, self.lease, self.groups = ids, lease, groups

    @classmethod
    def take(cls, session_ids: set, *, leave_retried: bool = False) -> "_Claim":
        """Claim these sessions' free pending chunks and process them (no writes but the claim); with
        `leave_retried`, none of a session with a chunk that claims before held and never gave back."""
        ids, lease = _claim(sorted(session_ids), leave_retried=leave_retried)
        if not ids:
            return cls(ids, lease, [])
        try:
            chunks = list(Chunk.objects.filter(pk__in=ids).order_by("session_id", "seq"))
            known = {s.pk: s.scrub_ids for s in Session.objects.filter(pk__in={c.session_id for c in chunks}).only("scrub_ids")}
            scrubbing = _sites_scrubbing({c.site_id for c in chunks})
            by_session: dict = {}
            for chunk in chunks:
                by_session.setdefault(chunk.session_id, []).append(chunk)
            groups = []
            for session_id, group in by_session.items():
                emails, url_names = scrubbing[group[0].site_id]
                state = ScrubState(emails=emails, sensitive_ids=set(known.get(session_id) or []), url_names=url_names)
                groups.append((session_id, [_prepare(chunk, state) for chunk in group], state.sensitive_ids))
        except Exception:
            _release(ids, lease)
            raise
        return cls(ids, lease, groups)

    def commit(self) -> list[int]:
        """Write the claim in one transaction; the ids stored. On failure the chunks are given back."""
        try:
            for attempt in range(3):
                try:
                    with transaction.atomic():
                        _claim_settings()
                        return _commit(self.groups, self.lease)
                except SessionTaken:  # the transaction (or savepoint) is undone: merge into the other worker's row
                    if attempt == 2:
                        raise
                    log.info("a new session of chunks %s was created by another worker meanwhile: committing again",
                             self.ids[:5])
        except Exception:
            _release(self.ids, self.lease)
            raise
        raise AssertionError("unreachable")

    def done(self, stored: list[int], commit_seconds: float) -> None:
        # Committed ids only (a task run eagerly may be inside a transaction that still rolls back), and
        # only Postgres's: SQLite hands out a deleted row's id again.
        if _committed_at_once():
            _stored_lately.add(stored)
        _observe([item for _, prepared, _ in self.groups for item in prepared], commit_seconds)


def _claims_store(claim: _Claim, more: bool) -> tuple[int, list]:
    """Commit this claim and, while more is waiting, the claims after it: each next one is claimed and
    processed on this thread while the one before commits on the committer thread (the commit is
    mostly a wait for the database, the processing mostly Python). Returns chunks stored and sessions.

    Only on Postgres outside a transaction: the committer's connection must
    see what this one committed. A failed commit gives its chunks back and
    so does the claim prepared meanwhile; the error is the task's (retried).
    """
    count, sessions = 0, []
    deadline = time.monotonic() + settings.CHUNK_DRAIN_SECONDS
    overlap = _committed_at_once()
    while claim is not None:
        sessions += [session_id for session_id, _, _ in claim.groups]
        started = time.perf_counter()
        following = None
        if overlap and more and time.monotonic() < deadline:
            writing = _committer().submit(_commit_on_committer, claim)
            try:
                waiting: set = set()
                more = _take_along(waiting, settings.CHUNK_CLAIM_MAX)
                # (a session with a retried chunk is stored alone, by its next message)
                following = _Claim.take(waiting, leave_retried=True) if waiting else None
            except BaseException:
                futures.wait([writing])  # its own failure gave its chunks back
                raise
            try:
                stored = writing.result()
            except BaseException:
                if following is not None and following.ids:
                    _release(following.ids, following.lease)
                raise
        else:
            stored = claim.commit()
        claim.done(stored, time.perf_counter() - started)
        count += len(stored)
        claim = following if following is not None and following.ids else None
    return count, sessions


def _committed_at_once() -> bool:
    """Whether this connection is Postgres outside a transaction: what a claim commits on it is final
    and seen by every other connection."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


_committers: dict[int, futures.ThreadPoolExecutor] = {}


def _committer() -> futures.ThreadPoolExecutor:
    """This process's thread for commits (made after a fork, in the process that uses it)."""
    pid = os.getpid()
    if pid not in _committers:
        _committers[pid] = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="chunk-commit")
    return _committers[pid]


def _commit_on_committer(claim: _Claim) -> list[int]:
    """The thread's own connection lasts one commit (of hundreds of chunks): none is left open between
    backlogs, none broken by a restart of the database is used again."""
    try:
        return claim.commit()
    finally:
        connection.close()


def _store_arrived_meanwhile(session_ids: list, follow: int) -> int:
    """Store the chunks of these sessions that came in while this claim held them.

    Their own messages found the session busy and left them: a worker's
    retries wait a second or more, and in-process nothing would store them
    before the sweeper, a minute later (the last batches of a page that
    closes arrive together). The claim that held the session takes them now.
    """
    if follow <= 0:
        return 0
    later = list(_free(Chunk.objects.filter(session_id__in=session_ids, status=Chunk.PENDING))
                 .order_by("pk").values_list("pk", flat=True)[:settings.CHUNK_CLAIM_MAX])
    if not later:
        return 0
    try:
        return chunks_process(chunk_ids=later, follow=follow - 1)
    except SessionBusy as busy:  # another worker took them meanwhile
        return busy.stored


class SessionBusy(OperationalError):
    """Some chunks of the message were left pending: another worker holds chunks of their session.

    A session's chunks are stored by one worker at a time, in order: what an
    earlier batch says (which inputs are sensitive) applies to the later
    ones. The task tries the message again a little later (it is transient);
    run in-process, the chunks wait for the next claim or the sweeper.
    """

    def __init__(self, *, stored: int):
        super().__init__(f"chunks left to the worker holding their session; {stored} stored")
        self.stored = stored


def _claim_settings() -> None:
    """Settings of a claim's transaction on Postgres, for this transaction only.

    Its commit returns before Postgres has flushed it to disk: what it
    writes can be lost only by a crash of Postgres itself, within a fraction
    of a second of the commit, and then the chunks are still pending with
    their bodies (ingest's commit waited for the disk), so the sweeper
    queues them again: a delay, never a loss. Not waiting saves a disk flush
    per claim.

    Every statement is planned for its values. The foreign-key checks of the
    rows a claim inserts (sessions, page views, heatmap facts: several per
    chunk, run at the commit) are statements Postgres prepares once per
    connection and then runs with a generic plan, and a worker keeps its
    connection: a plan made while the sessions table was nearly empty (a new
    install, a new database) stays a scan of the whole table as it grows, for
    as long as the connection lives: a fifth to a third of the worker's time
    when it drained a backlog into a new database (BENCHMARKS.md, "Ingest").
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', 'off', true), "
                           "set_config('plan_cache_mode', 'force_custom_plan', true)")


class _RecentIds:
    """Ids of the chunks this process stored in the last minute or two (two sets, rotated).

    Postgres never hands out a chunk id twice, and a stored chunk never turns
    pending again, so a message naming only these has nothing to do and needs
    no query. Entries expire, so even ids handed out again (a database
    restored from a backup, sequences reset) delay a chunk only until the
    sweeper's next turn after that; restarting the workers forgets at once.
    """

    def __init__(self, seconds: float = 60):
        self.seconds = seconds
        self.current: set[int] = set()
        self.previous: set[int] = set()
        self.rotated = time.monotonic()

    def _rotate(self) -> None:
        now = time.monotonic()
        if now - self.rotated > self.seconds:
            self.previous = self.current if now - self.rotated < 2 * self.seconds else set()
            self.current, self.rotated = set(), now

    def add(self, ids: list[int]) -> None:
        self._rotate()
        self.current.update(ids)

    def clear(self) -> None:
        self.current, self.previous = set(), set()

    def holds(self, ids: list[int]) -> bool:
        self._rotate()
        return bool(ids) and all(pk in self.current or pk in self.previous for pk in ids)


_stored_lately = _RecentIds()


def _observe(items: list[Prepared], commit_seconds: float) -> None:
    """Metrics: each chunk's own processing time plus its share of the one commit."""
    share = commit_seconds / max(1, len(items))
    for item in items:
        if item.error:
            metrics.batch_failed(item.error.split(":", 1)[0])
        elif item.chunk.status == Chunk.STORED:
            metrics.batch_stored(item.seconds + share)


CLAIM_LOCKS = 7_311_001  # the class of the advisory locks a claim takes, one per session


def _claim(session_ids: list, *, leave_retried: bool = False) -> tuple[list[int], datetime | None]:
    """Take these sessions' free pending chunks for CHUNK_LEASE_SECONDS; the ids this worker now holds,
    and until when (on the database's clock, as every worker reads a lease: their hosts' may differ; None
    when it holds none).
    With `leave_retried`, a session with a chunk that claims before held and never gave back (`_retried`)
    is left out by the same statement.

    A session some of whose chunks another worker holds is left alone, so
    one worker at a time stores a session's chunks: in order, each knowing
    the inputs that the batches before it marked sensitive. On Postgres the
    claims of a session also take turns (an advisory lock per session until
    the claim commits): two claims at the same moment would otherwise not
    see each other's leases, and could each take part of one session.
    """
    table = connection.ops.quote_name(Chunk._meta.db_table)
    session_prep = Chunk._meta.get_field("session").get_db_prep_save
    sessions = [session_prep(s, connection) for s in session_ids]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(  # in one order, so two claims never wait for each other's locks
                "SELECT count(pg_advisory_xact_lock(%s, key)) FROM "
                "(SELECT DISTINCT hashtext(s) AS key FROM unnest(%s::text[]) AS s ORDER BY key) AS keys",
                [CLAIM_LOCKS, [str(s) for s in session_ids]],
            )
        (now, now_params), (lease, lease_params) = _claim_clock()
        listed = ", ".join(["%s"] * len(sessions))
        retried_sql, retried_params = (" OR attempts >= %s", [ALONE_AFTER_ATTEMPTS]) if leave_retried else ("", [])
        cursor.execute(  # the sessions left out looked up once, not once per chunk
            f"WITH left_out AS (SELECT session_id FROM {table} WHERE session_id IN ({listed}) AND status = %s "
            f"AND (lease_until >= {now}{retried_sql})) "
            f"UPDATE {table} SET lease_until = {lease}, attempts = attempts + 1 "
            f"WHERE session_id IN ({listed}) AND status = %s AND (lease_until IS NULL OR lease_until < {now}) "
            "AND session_id NOT IN (SELECT session_id FROM left_out) RETURNING id, lease_until",
            [*sessions, Chunk.PENDING, *now_params, *retried_params, *lease_params, *sessions, Chunk.PENDING,
             *now_params],
        )
        rows = cursor.fetchall()
    # Every row holds the same lease (None when nothing was claimed).
    return [pk for pk, _ in rows], (db_datetime(rows[0][1]) if rows else None)


def _claim_clock() -> tuple[tuple[str, list], tuple[str, list]]:
    """A claim's moment and the end of its lease on the database's clock, each as SQL and its parameters.

    On Postgres the claim's statement reads the clock itself (no statement
    of its own before it). SQLite's clock is this machine's and costs no
    round trip: it is read first and the lease passed in as Django writes a
    datetime, so that the commit and `_release` find the rows by it.
    """
    seconds = settings.CHUNK_LEASE_SECONDS
    if connection.vendor == "postgresql":
        return (now_sql(), []), (f"{now_sql()} + %s * INTERVAL '1 second'", [seconds])
    prep = Chunk._meta.get_field("lease_until").get_db_prep_save
    now = db_now()
    return ("%s", [prep(now, connection)]), ("%s", [prep(now + timedelta(seconds=seconds), connection)])


def _left_to_another(chunk_ids: list[int], claimed: list[int]) -> bool:
    """Whether some of these chunks are pending and free but were not claimed (their session is held)."""
    rest = set(chunk_ids) - set(claimed)
    if not rest:
        return False
    return _free(Chunk.objects.filter(pk__in=rest, status=Chunk.PENDING)).exists()


def _free(chunks, now: datetime | None = None):
    """These chunks less those a worker holds under a lease that has not run out (by the database's clock,
    unless `now` is given)."""
    return chunks.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now or Now()))


def _release(ids: list[int], lease: datetime) -> None:
    """Give the chunks back before a retry, so it need not wait for the lease to run out."""
    try:
        # A claim given back is no attempt that died: CHUNK_MAX_ATTEMPTS counts only those.
        Chunk.objects.filter(pk__in=ids, status=Chunk.PENDING, lease_until=lease).update(
            lease_until=None, attempts=Greatest(F("attempts") - 1, 0),
        )
    except Exception:  # noqa: BLE001 - the database may be what failed; the lease expires anyway
        log.warning("could not release chunks %s", ids)


def _sites_scrubbing(site_ids: set[int]) -> dict[int, tuple[bool, frozenset[str]]]:
    """Each site's scrubbing settings: whether e-mail addresses are masked, and the URL parameters it names."""
    from sites.models import Site

    rows = Site.objects.filter(pk__in=site_ids).values_list("pk", "scrub_emails", "url_mask_params")
    found = {pk: (emails, url_names_parse(names)) for pk, emails, names in rows}
    return {pk: found.get(pk, (False, frozenset())) for pk in site_ids}


def _prepare(chunk: Chunk, state: ScrubState) -> Prepared:
    """Decode, check, restore, scrub, summarise and compress one chunk: pure work, no writes."""
    item = Prepared(chunk)
    started = time.perf_counter()
    try:
        if chunk.body is None:
            raise BatchError(400, "no_body", "The chunk has no body to store.")
        # Ingest checked every node already; the worker checks the envelope and each event's shape. Not the
        # size limits: ingest held the body to those of its moment, and limits lowered since (or set lower on
        # the worker's hosts) must not fail what it accepted.
        batch = batch_parse(bytes(chunk.body), max_inflated=ACCEPTED_ALREADY, max_events=ACCEPTED_ALREADY, deep=False)
        # One walk restores the ids and scrubs each string; then what spans strings or depends on the element.
        each_string = StringScrub(state.emails, state.url_names)
        events = events_scrub(events_restore(batch.events, each_string), state, strings=False)
        item.summary = batch_summarise(events)
        item.blob = events_encode(events)
    except Exception as error:  # noqa: BLE001 - a chunk that cannot be processed is kept as failed
        log.exception("chunk %s cannot be stored", chunk.pk)
        item.error = f"{type(error).__name__}: {error}"[:2000]
    item.seconds = time.perf_counter() - started
    return item


def _commit(groups: list[tuple], lease: datetime) -> list[int]:
    """Write the outcome of one claim, every session of it at once: a few statements, whatever its size.

    The sessions are locked together (the new ones are written once merged),
    the chunks still ours are locked, then stored, failed or dropped in bulk;
    the sessions' new state and their page views are written in one
    statement each.
    """
    firsts = {session_id: storable[0] for session_id, prepared, _ in groups
              if (storable := [item.chunk for item in prepared if not item.error])}
    sessions, before, new = _sessions_locked(firsts)
    compacted: dict = {}
    for session_id, seqs in Segment.objects.filter(session_id__in=list(firsts)).values_list("session_id", "seqs"):
        compacted.setdefault(session_id, set()).update(seqs)
    # The database's moment comes with each row, for stored_at: the compactor on another host compares it
    # with the database's clock (and nothing is stored when no row is ours). And whether the chunk's session
    # was deleted: a deletion refuses a session's later batches once it commits, and a batch that came in
    # during its transaction was accepted; it must not make the session again.
    rows = list(Chunk.objects.select_for_update().filter(
        pk__in=[item.chunk.pk for _, prepared, _ in groups for item in prepared],
        status=Chunk.PENDING, lease_until=lease,
    ).order_by("pk").values_list("pk", Now(), Exists(DeletedSession.objects.filter(pk=OuterRef("session_id")))))
    ours = {pk for pk, _, _ in rows}
    deleted = {pk for pk, _, gone in rows if gone}
    now = rows[0][1] if rows else None
    to_store, dropped, page_views, merged = [], [], [], {}
    findings = FindingsWrites()
    for session_id, prepared, sensitive_ids in groups:
        session = sessions.get(session_id)
        for item in prepared:
            chunk = item.chunk
            if chunk.pk not in ours:
                continue  # the lease ran out and another worker took it
            if chunk.pk in deleted:
                dropped.append(chunk.pk)
                continue
            if not item.error and session.site_id != chunk.site_id:
                item.error = "session_conflict: this session id belongs to another site"
            if item.error:
                Chunk.objects.filter(pk=chunk.pk).update(status=Chunk.FAILED, error=item.error, lease_until=None)
                continue
            if chunk.seq in compacted.get(session_id, ()):  # a late repeat of a batch already in a segment
                dropped.append(chunk.pk)
                continue
            summary = item.summary
            chunk.status, chunk.data, chunk.body, chunk.lease_until, chunk.error = Chunk.STORED, item.blob, None, None, ""
            chunk.stored_bytes, chunk.event_count, chunk.stored_at = len(item.blob), summary.event_count, now
            chunk.first_ts, chunk.last_ts, chunk.snapshots = summary.first_ts, summary.last_ts, summary.snapshots
            to_store.append(chunk)
            page_views += _session_merge(session, summary, len(item.blob), chunk.created_at, findings)
            merged[session_id] = session
        if session_id in merged:  # with what the row holds (a claim whose lease ran out may have added some)
            session.scrub_ids = sorted(set(session.scrub_ids or []) | sensitive_ids)[-5000:]
    created = [session for session in merged.values() if session.pk in new]
    for session in created:
        session.created_at = now  # the database's moment: the worker host's clock may be off
    _sessions_insert(created)
    if dropped:
        Chunk.objects.filter(pk__in=dropped).delete()
    _rows_update(Chunk, to_store, _STORED_FIELDS)
    PageView.objects.bulk_create(page_views)
    site_urls_note(page_views=page_views)
    findings.write()
    rollups_sessions_stored(changes=[(session, before[session.pk]) for session in merged.values()])
    _rows_update(Session, [session for session in merged.values() if session.pk not in new], _SESSION_FIELDS)
    return [chunk.pk for chunk in to_store]


def _rows_update(model, objects: list, fields: list[str]) -> None:
    """UPDATE each object's row with these fields, all in one go (psycopg pipelines executemany).

    Django's bulk_update builds a CASE per field and row, which costs more
    Python time than the whole chunk's processing.
    """
    if not objects:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: each use of the `connection` proxy costs a lookup
    columns = [model._meta.get_field(name) for name in fields]
    quote = db.ops.quote_name
    sql = (f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in columns)} "
           f"WHERE {quote(model._meta.pk.column)} = %s")
    pk = model._meta.pk
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), db) for f in columns]
            + [pk.get_db_prep_save(obj.pk, db)] for obj in objects]
    with bytes_cursor() as cursor:
        cursor.executemany(sql, rows)


def _rows_insert_new(model, objects: list) -> int:
    """INSERT each object's row unless its primary key is taken, all in one go, as bulk_create with
    ignore_conflicts would, without Django writing every value into the SQL text (a third of a
    claim's commit when each chunk is a new session). Returns how many rows it inserted."""
    if not objects:
        return 0
    db = connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    quote = db.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT ({quote(model._meta.pk.column)}) DO NOTHING")
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields] for obj in objects]
    with bytes_cursor() as cursor:
        cursor.executemany(sql, rows)
        return cursor.rowcount


_STORED_FIELDS = ["status", "data", "body", "lease_until", "error", "stored_bytes", "event_count", "stored_at",
                  "first_ts", "last_ts", "snapshots"]
_SESSION_FIELDS = [f.name for f in Session._meta.concrete_fields if not f.primary_key and f.name not in ("site", "created_at")]


def _sessions_locked(firsts: dict) -> tuple[dict, dict, set]:
    """The sessions of these ids, locked for this transaction; the new ones made in memory from their
    first chunk (`_sessions_insert` writes them once merged); and what the roll-ups need of each as it
    was before this commit."""
    sessions = {s.pk: s for s in Session.objects.select_for_update().filter(pk__in=sorted(firsts)).order_by("pk")}
    new = {session_id for session_id in firsts if session_id not in sessions}
    for session_id in sorted(new):
        first = firsts[session_id]
        sessions[session_id] = Session(id=session_id, site_id=first.site_id, visitor_id=str(first.sender.get("vid", ""))[:64],
                                       clock_offset_ms=clock_offset(first),
                                       **_device(first.sender))
    before = {pk: session_counted_state(session) for pk, session in sessions.items()}
    return sessions, before, new


class SessionTaken(OperationalError):
    """Another worker created one of this commit's new sessions meanwhile: the commit is made again,
    merging into the row it wrote (a retried task too, as for a database that went away)."""


def _sessions_insert(sessions: list[Session]) -> None:
    """Write new sessions, merged already: one row version each, where an INSERT of defaults and an
    UPDATE of the merged state wrote two, with every index of the table twice (Postgres spent a
    quarter of a claim's time there when every chunk opened a session)."""
    if _rows_insert_new(Session, sorted(sessions, key=lambda session: session.pk)) < len(sessions):
        raise SessionTaken("a new session was created by another worker during this commit")


def _device(sender: dict) -> dict:
    user_agent = str(sender.get("ua") or "")[:512]
    return {**_agent_facts(user_agent), "user_agent": user_agent, "ip": sender.get("ip") or None}


@functools.lru_cache(maxsize=2048)
def _agent_facts(user_agent: str) -> dict:
    """Browser, OS and device type of a user agent (parsing one takes about a millisecond; visitors share a few)."""
    agent = ua_parse(user_agent)
    if agent.is_bot:
        device = "bot"
    elif agent.is_tablet:
        device = "tablet"
    elif agent.is_mobile:
        device = "mobile"
    else:
        device = "desktop"
    return {"browser": agent.browser.family[:64], "os": agent.os.family[:64], "device_type": device}


def _ms(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc)


def clock_offset(first: Chunk) -> int:
    """How far to move a new session's times to the server's clock, from its first batch: the moment the
    database took it in (`created_at`, written by ingest's INSERT) minus the visitor's clock when sending
    it (`sender["sent"]`, the URL's `t`). No host's clock takes part: a web host whose clock is off moves
    no session. (A batch accepted by the previous version carries the web host's measure, `sender["clock"]`.)

    The measure includes the upload's time on the network, which only makes it larger: an offset
    between -1 s and +1 min is that, or a clock too close to matter, and is left at 0, so that on a
    well-set clock the session's times are the events' own."""
    sent = first.sender.get("sent")
    if isinstance(sent, int) and not isinstance(sent, bool):
        offset = int(first.created_at.timestamp() * 1000) - sent
    else:
        offset = first.sender.get("clock")
    if not isinstance(offset, int) or isinstance(offset, bool) or -CLOCK_AHEAD_MS < offset < CLOCK_BEHIND_MS:
        return 0
    return max(-CLOCK_MAX_MS, min(offset, CLOCK_MAX_MS))


def _at(session: Session, timestamp: int) -> datetime:
    """An event time of this session at the server's clock (within what a datetime can hold)."""
    return _ms(min(max(timestamp + session.clock_offset_ms, 0), MAX_TIMESTAMP))


def _session_merge(session: Session, summary: Summary, stored: int, received_at: datetime,
                   findings: FindingsWrites) -> list[PageView]:
    """Fold one chunk's summary into the (locked) session row in memory; the caller saves it and
    writes the page views returned."""
    # A session never starts after the server received it (a clock ahead with no offset measured, or a
    # forged one): it is never listed ahead of its time.
    first, last = min(_at(session, summary.first_ts), received_at), _at(session, summary.last_ts)
    newest = session.last_activity_at is None or last >= session.last_activity_at
    session.started_at = min(session.started_at or first, first)
    session.last_activity_at = max(session.last_activity_at or last, last)
    session.duration_ms = int((session.last_activity_at - session.started_at).total_seconds() * 1000)
    session.event_count += summary.event_count
    session.error_count += summary.error_count
    session.chunk_count += 1
    session.stored_bytes += stored
    session.page_count += len(summary.pages)
    if newest:
        # The visitor's page went away (closed, left or hidden): the session has ended, until a batch
        # of another page of it (or of this one, shown again) arrives. A late, older batch changes nothing.
        session.status = Session.FINISHED if summary.visibility == "hidden" else Session.ACTIVE
    session.received_at = max(session.received_at or received_at, received_at)
    _session_facts(session, summary)
    signals_fold(session=session, marks=summary.marks, writes=findings)
    return [PageView(session_id=session.pk, site_id=session.site_id, url=p["url"], title=p["title"], kind=p["kind"], at=_at(session, p["at"]))
            for p in summary.pages]


def _session_facts(session: Session, summary: Summary) -> None:
    """Identity, tags, entry page and device facts."""
    if summary.identity is not None:
        session.identity = summary.identity
    if summary.tags:
        session.tags = {**session.tags, **summary.tags}
    if summary.pages:
        entry = min(summary.pages, key=lambda p: p["at"])
        if not session.entry_url or _at(session, entry["at"]) <= session.started_at:
            session.entry_url, session.referrer = entry["url"], entry["referrer"]
    if summary.viewport and max(summary.viewport) <= 100_000:
        session.viewport_w, session.viewport_h = summary.viewport
    device = summary.device
    for field, key, kind in (
        ("screen_w", "screenW", int), ("screen_h", "screenH", int),
        ("language", "lang", str), ("timezone", "tz", str),
    ):
        value = device.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            if kind is int and not 0 <= value <= 100_000:
                continue
            setattr(session, field, value if kind is int else value[: Session._meta.get_field(field).max_length])


def chunks_fail(*, ids: list[int], reason: str) -> int:
    return Chunk.objects.filter(pk__in=ids, status=Chunk.PENDING).update(
        status=Chunk.FAILED, error=reason[:2000], lease_until=None,
    )


def chunks_sweep(*, now: datetime | None = None) -> dict:
    """Queue again the pending chunks nobody is working on and that waited too long.

    A chunk whose claims keep dying (a worker killed, a time limit hit) is
    marked failed after CHUNK_MAX_ATTEMPTS claims. Picks work by state, so a
    rerun resumes. Returns counts.
    """
    from .ingest import chunks_queue

    now = now or db_now()  # queued_at is the web's or another sweeper's moment: one clock for all
    idle = _free(Chunk.objects.filter(
        status=Chunk.PENDING, queued_at__lt=now - timedelta(seconds=settings.CHUNK_REQUEUE_SECONDS),
    ), now)
    abandoned = list(idle.filter(attempts__gte=settings.CHUNK_MAX_ATTEMPTS).values_list("pk", flat=True)[:1000])
    failed = chunks_fail(
        ids=abandoned,
        reason=f"abandoned after {settings.CHUNK_MAX_ATTEMPTS} attempts: each worker died or timed out holding it",
    )
    for _ in range(failed):
        metrics.batch_failed("abandoned")
    ids = list(idle.filter(attempts__lt=settings.CHUNK_MAX_ATTEMPTS).order_by("queued_at").values_list("pk", flat=True)[:1000])
    Chunk.objects.filter(pk__in=ids).update(queued_at=now)
    chunks_queue(ids)
    return {"requeued": len(ids), "failed": failed}


def chunks_redrive(*, ids: list[int] | None = None, site_id: int | None = None) -> int:
    """Put failed chunks back to pending and queue them (after the cause was fixed)."""
    from .ingest import chunks_queue

    failed = Chunk.objects.filter(status=Chunk.FAILED)
    if ids is not None:
        failed = failed.filter(pk__in=ids)
    if site_id is not None:
        failed = failed.filter(site_id=site_id)
    chosen = list(failed.values_list("pk", flat=True))
    Chunk.objects.filter(pk__in=chosen, status=Chunk.FAILED).update(
        status=Chunk.PENDING, attempts=0, error="", lease_until=None, queued_at=Now(),
    )
    chunks_queue(chosen)
    return len(chosen)


def chunk_body_adopt(*, chunk_id: int, events: list[dict]) -> None:
    """A chunk queued by the previous version, whose message carried its events: keep them as its body."""
    from . import jsontext

    chunk = Chunk.objects.filter(pk=chunk_id, status=Chunk.PENDING, body__isnull=True).first()
    if chunk is None:
        return
    visitor = Session.objects.filter(pk=chunk.session_id).values_list("visitor_id", flat=True).first()
    batch = {"wid": chunk.site_id, "vid": visitor or "unknown-visitor", "sid": str(chunk.session_id),
             "seq": chunk.seq, "events": events}
    Chunk.objects.filter(pk=chunk.pk, body__isnull=True).update(body=jsontext.dumps(batch))


def sessions_finish_idle(*, now: datetime | None = None) -> int:
    """Finish sessions idle past their site's timeout; drop finished ones shorter than its minimum.

    Picks work by state, so a rerun resumes where a crashed one stopped.
    A session with a batch accepted and not stored yet is not idle: `received_at` counts only stored
    batches, and a worker that is behind (a backlog, an outage) would otherwise have it finished, and
    dropped as too short with the batches it was about to store. Nor is one with a failed batch dropped:
    that batch is kept for a re-drive (retention deletes it).
    """
    from privacy.services import sessions_delete  # privacy depends on recorder models

    now = now or db_now()  # received_at is the moment ingest wrote a batch, on the database's clock
    finished = 0
    short = Q(status=Session.FINISHED, duration_ms__lt=F("site__min_session_sec") * 1000)
    too_short = Session.objects.none()
    waiting = Exists(Chunk.objects.filter(session_id=OuterRef("pk"), status=Chunk.PENDING))
    kept = Exists(Chunk.objects.filter(session_id=OuterRef("pk"), status=Chunk.FAILED))
    for site_id, timeout in Session.objects.filter(Q(status=Session.ACTIVE) | short | Q(signal_state__isnull=False)).values_list(
        "site_id", "site__session_timeout_min"
    ).distinct():
        idle = Session.objects.filter(~waiting, site_id=site_id, received_at__lt=now - timedelta(minutes=timeout))
        finished += idle.filter(status=Session.ACTIVE).update(status=Session.FINISHED)
        signals_settle(session_ids=list(idle.filter(signal_state__isnull=False).values_list("pk", flat=True)))
        # Dropped only once no page of it can come any more: a visitor who left a page may open another.
        too_short |= idle.filter(short).exclude(kept)
    # Asked again once each is locked: a batch accepted since (its visitor went on) keeps the session.
    sessions_delete(session_ids=list(too_short.values_list("pk", flat=True)), still=too_short)
    return finished
