"""Visitor requests: forget a visitor (rows and stored objects), export a visitor, delete one session."""
import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from privacy.models import AuditEntry
from privacy.services import visitor_export
from recorder.models import Chunk, PageView, Session
from recorder.tasks import chunk_process
from sites.models import Membership
from tests.conftest import make_batch, post_batch, process_pending, stored_parts, until_waiting_for_locks
from tests.factories import UserFactory

# Postgres: SQLite hands out the same site ids again after each test, and the bucket outlives tests.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def record(client, site, *, vid: str, identity: str | None = None, sid: str | None = None, seq: int = 0) -> dict:
    """Post one batch through ingest and store it for real, as the worker does."""
    batch = make_batch(site.pk, vid=vid, sid=sid, seq=seq)
    if identity:
        now = int(time.time() * 1000)
        identify = {"tag": "hs.identify", "payload": {"id": identity}}
        batch["events"].append({"type": 5, "data": identify, "timestamp": now + 600})
    assert post_batch(client, batch).status_code == 202
    chunk = Chunk.objects.get(session_id=batch["sid"], seq=seq)
    assert chunk_process.apply(args=[chunk.pk]).get() == 1
    return batch


@pytest.fixture
def recorded(client, site):
    """Alice: two sessions (one of two chunks), known by identity; Bob: one session."""
    first = record(client, site, vid="visitor-alice", identity="alice@example.com")
    second_seq0 = record(client, site, vid="visitor-alice")
    second_seq1 = record(client, site, vid="visitor-alice", sid=second_seq0["sid"], seq=1, identity="alice@example.com")
    bob = record(client, site, vid="visitor-bob")
    return {"alice": [first, second_seq0, second_seq1], "bob": bob}


@pytest.fixture
def viewer(site):
    user = UserFactory(username="viewer")
    Membership.objects.create(site=site, user=user, role=Membership.VIEWER)
    return user


def test_forget_deletes_every_row_and_stored_object_of_the_visitor_only(client, site, owner, recorded):
    alice_sids = {recorded["alice"][0]["sid"], recorded["alice"][1]["sid"]}
    bob_sid = recorded["bob"]["sid"]
    assert stored_parts(site.pk) == 4
    client.force_login(owner)

    response = client.post(
        reverse("site-privacy-forget", args=[site.pk]),
        {"forget-visitor": "alice@example.com", "forget-confirm": "on"}, follow=True,
    )

    assert "Deleted 2 sessions of “alice@example.com”" in response.content.decode()
    assert not Session.objects.filter(pk__in=alice_sids).exists()
    assert not Chunk.objects.filter(session_id__in=alice_sids).exists()
    assert not PageView.objects.filter(session_id__in=alice_sids).exists()
    for sid in alice_sids:
        assert stored_parts(site.pk, sid) == 0
    assert Session.objects.filter(pk=bob_sid).exists()
    assert stored_parts(site.pk, bob_sid) == 1
    entry = AuditEntry.objects.get(action="visitor.forget")
    assert (entry.user, entry.target, entry.detail) == (owner, "alice@example.com", {"sessions": 2})


def test_forget_by_visitor_id_works_and_needs_confirmation(client, site, owner, recorded):
    client.force_login(owner)
    url = reverse("site-privacy-forget", args=[site.pk])

    unconfirmed = client.post(url, {"forget-visitor": "visitor-bob"})
    assert unconfirmed.status_code == 400
    assert Session.objects.filter(visitor_id="visitor-bob").exists()

    client.post(url, {"forget-visitor": "visitor-bob", "forget-confirm": "on"})
    assert not Session.objects.filter(visitor_id="visitor-bob").exists()
    assert Session.objects.filter(visitor_id="visitor-alice").count() == 2


def test_export_downloads_every_session_with_pages_and_events(client, site, owner, recorded):
    client.force_login(owner)

    response = client.post(reverse("site-privacy-export", args=[site.pk]), {"export-visitor": "visitor-alice"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="hindsight-site{site.pk}-visitor-alice.json"'
    content = b"".join(response.streaming_content)
    body = json.loads(content)
    assert body["visitor"] == "visitor-alice"
    first, second_seq0, second_seq1 = recorded["alice"]
    by_id = {s["id"]: s for s in body["sessions"]}
    assert set(by_id) == {first["sid"], second_seq0["sid"]}
    assert by_id[first["sid"]]["events"] == first["events"]
    assert by_id[second_seq0["sid"]]["events"] == second_seq0["events"] + second_seq1["events"]
    assert by_id[first["sid"]]["identity"] == "alice@example.com"
    assert by_id[first["sid"]]["pages"][0]["url"] == "https://shop.example.com/"
    assert "visitor-bob" not in content.decode()
    entry = AuditEntry.objects.get(action="visitor.export")
    assert (entry.user, entry.target, entry.detail) == (owner, "visitor-alice", {"sessions": 2})


def test_export_streams_a_visitor_with_many_sessions_as_one_complete_document(client, site, owner, recorded):
    """A visitor's export was built whole in the web process (every event of every session parsed, then
    written again): one with many long sessions held all of it in memory at once. It is sent piece by piece,
    a stored part at a time, and adds up to the same document: here a compacted session, sessions of several
    batches, and one whose texts are not ASCII."""
    from recorder.compaction import session_compact

    first, second, second_next = recorded["alice"]
    expected = {first["sid"]: first["events"], second["sid"]: second["events"] + second_next["events"]}
    for _ in range(3):
        batches = [record(client, site, vid="visitor-alice", identity="alice@example.com")]
        batches += [record(client, site, vid="visitor-alice", sid=batches[0]["sid"], seq=seq) for seq in range(1, 4)]
        expected[batches[0]["sid"]] = [event for batch in batches for event in batch["events"]]
    assert session_compact(session_id=first["sid"]) == 1
    Session.objects.filter(pk=batches[0]["sid"]).update(tags={"plan": "élan ✓"})
    client.force_login(owner)

    response = client.post(reverse("site-privacy-export", args=[site.pk]), {"export-visitor": "alice@example.com"})

    assert response.status_code == 200 and response.streaming
    pieces = list(response.streaming_content)
    assert len(pieces) > len(expected)  # sent as it is read, not as one body
    body = json.loads(b"".join(pieces))
    assert body["visitor"] == "alice@example.com" and body["site"] == site.pk
    assert [s["id"] for s in body["sessions"]] == [str(s.pk) for s in Session.objects.filter(
        visitor_id="visitor-alice").order_by("started_at", "created_at", "id")]
    assert {s["id"]: s["events"] for s in body["sessions"]} == expected
    assert body["sessions"][-1]["tags"] == {"plan": "élan ✓"}
    assert all(s["pages"] and s["event_count"] == len(s["events"]) for s in body["sessions"])
    assert body == visitor_export(site=site, visitor="alice@example.com") | {"exported_at": body["exported_at"]}
    assert AuditEntry.objects.get(action="visitor.export").detail == {"sessions": 5}


def test_an_export_racing_a_deletion_of_one_of_its_sessions_ends_as_whole_json(client, site, owner, recorded):
    """A forget or deletion that took a session's stored objects while its export was being sent broke the
    download off mid-document: truncated JSON. The session's events end where they were, it says so, and the
    document closes with the other sessions whole."""
    from privacy.services import session_delete
    from recorder.compaction import session_compact

    first, second, second_next = recorded["alice"]
    assert session_compact(session_id=first["sid"]) == 1  # its events are in a stored object now
    client.force_login(owner)
    response = client.post(reverse("site-privacy-export", args=[site.pk]), {"export-visitor": "visitor-alice"})
    pieces = iter(response.streaming_content)

    sent = []
    while first["sid"].encode() not in b"".join(sent):
        sent.append(next(pieces))
    sent.append(next(pieces))  # its events' opening bracket: the next piece reads the stored object
    session_delete(session=Session.objects.get(pk=first["sid"]))
    sent.extend(pieces)

    body = json.loads(b"".join(sent))
    by_id = {s["id"]: s for s in body["sessions"]}
    assert by_id[first["sid"]]["events"] == [] and by_id[first["sid"]]["deleted_during_export"] is True
    assert by_id[second["sid"]]["events"] == second["events"] + second_next["events"]
    assert "deleted_during_export" not in by_id[second["sid"]]
    assert stored_parts(site.pk, first["sid"]) == 0


class DeletesDuringExport(StringIO):
    """A terminal printing a visitor's export: `sid` is deleted once its events' opening bracket is written."""

    def __init__(self, sid: str):
        super().__init__()
        self.sid, self.seen = sid, False

    def write(self, text: str) -> int:
        from privacy.services import session_delete

        written = super().write(text)
        if self.seen is True:
            session_delete(session=Session.objects.get(pk=self.sid))
            self.seen = None
        elif self.seen is False and self.sid in text:
            self.seen = True  # (its events follow, a stored part at a time)
        return written


def test_exportvisitor_says_a_session_was_deleted_during_the_export_and_fails(site, recorded):
    """The download says so in the document; the command printed the same whole JSON and exited 0, so a script
    saving the export took it for a complete one."""
    from recorder.compaction import session_compact

    first, second, second_next = recorded["alice"]
    assert session_compact(session_id=first["sid"]) == 1
    out = DeletesDuringExport(first["sid"])

    with pytest.raises(CommandError, match="deleted during the export") as failure:
        call_command("exportvisitor", "--site", str(site.pk), "visitor-alice", stdout=out)

    assert failure.value.returncode == 1
    body = json.loads(out.getvalue())
    by_id = {s["id"]: s for s in body["sessions"]}
    assert by_id[first["sid"]]["deleted_during_export"] is True
    assert by_id[second["sid"]]["events"] == second["events"] + second_next["events"]


def test_exportvisitor_of_whole_sessions_succeeds(site, recorded):
    out = StringIO()
    call_command("exportvisitor", "--site", str(site.pk), "alice@example.com", stdout=out)
    body = json.loads(out.getvalue())
    assert len(body["sessions"]) == 2 and "deleted_during_export" not in out.getvalue()


def test_export_of_an_unknown_visitor_says_so(client, site, owner, recorded):
    client.force_login(owner)
    response = client.post(reverse("site-privacy-export", args=[site.pk]), {"export-visitor": "nobody"})
    assert response.status_code == 404
    assert "No sessions of this visitor were found" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_visitor_export_service_finds_a_visitor_by_identity(site, recorded):
    export = visitor_export(site=site, visitor="alice@example.com")
    assert len(export["sessions"]) == 2
    assert all(session["visitor_id"] == "visitor-alice" for session in export["sessions"])
    json.dumps(export)  # ready to serialise as it is


def test_exportvisitor_prints_the_export_as_json(site, recorded):
    out = StringIO()
    call_command("exportvisitor", "--site", str(site.pk), "visitor-bob", stdout=out)
    body = json.loads(out.getvalue())
    assert [s["id"] for s in body["sessions"]] == [recorded["bob"]["sid"]]
    assert body["sessions"][0]["events"] == recorded["bob"]["events"]
    assert AuditEntry.objects.get(action="visitor.export").detail == {"sessions": 1, "via": "exportvisitor"}


def test_forgetvisitor_deletes_rows_and_objects(site, recorded):
    out = StringIO()
    call_command("forgetvisitor", "--site", str(site.pk), "alice@example.com", stdout=out)
    assert out.getvalue().strip() == f"Deleted 2 sessions of alice@example.com on site {site.pk}."
    assert list(Session.objects.values_list("visitor_id", flat=True)) == ["visitor-bob"]
    assert stored_parts(site.pk) == stored_parts(site.pk, recorded["bob"]["sid"]) == 1
    assert AuditEntry.objects.get(action="visitor.forget").detail == {"sessions": 2, "via": "forgetvisitor"}


@pytest.mark.parametrize("via", ["dashboard", "forgetvisitor"])
def test_forget_by_identity_drops_a_new_session_whose_batches_wait_for_the_worker(client, site, owner, recorded, via):
    """A new session of a visitor id seen with the identity has no row while its batches wait for the worker:
    the forget missed them, and the worker then made the session again."""
    waiting = make_batch(site.pk, vid="visitor-alice")
    bob_sid = recorded["bob"]["sid"]
    for batch in (waiting, make_batch(site.pk, vid="visitor-bob", sid=bob_sid, seq=1)):
        assert post_batch(client, batch).status_code == 202

    if via == "dashboard":
        client.force_login(owner)
        client.post(reverse("site-privacy-forget", args=[site.pk]),
                    {"forget-visitor": "alice@example.com", "forget-confirm": "on"})
    else:
        call_command("forgetvisitor", "--site", str(site.pk), "alice@example.com", stdout=StringIO())
    process_pending()

    assert list(Session.objects.values_list("visitor_id", flat=True)) == ["visitor-bob"]
    assert not Chunk.objects.filter(session_id=waiting["sid"]).exists()
    later = post_batch(client, make_batch(site.pk, vid="visitor-alice", sid=waiting["sid"], seq=1))
    assert later.status_code == 410 and not Chunk.objects.filter(session_id=waiting["sid"]).exists()
    assert list(Chunk.objects.filter(session_id=bob_sid).values_list("seq", "status")) == [(0, "stored"), (1, "stored")]


def test_forget_by_identity_drops_the_waiting_batches_of_an_anonymous_session_of_its_visitor_id(client, site, recorded):
    """A session of a visitor id seen with the identity, stored anonymous so far, whose next batch (the one
    that says who the visitor is) waited for the worker: the forget left that batch, and the worker then
    stored it, bringing the forgotten identity back with the session."""
    from privacy.services import visitor_forget

    anonymous = record(client, site, vid="visitor-alice")
    waiting = make_batch(site.pk, vid="visitor-alice", sid=anonymous["sid"], seq=1)
    waiting["events"].append({"type": 5, "data": {"tag": "hs.identify", "payload": {"id": "alice@example.com"}},
                              "timestamp": waiting["events"][-1]["timestamp"] + 10})
    assert post_batch(client, waiting).status_code == 202

    visitor_forget(site=site, visitor="alice@example.com")
    process_pending()

    assert not Session.objects.filter(identity="alice@example.com").exists()
    assert list(Session.objects.values_list("visitor_id", flat=True)) == ["visitor-bob"]
    assert not Chunk.objects.filter(session_id=anonymous["sid"]).exists()
    assert stored_parts(site.pk, anonymous["sid"]) == 0
    later = post_batch(client, make_batch(site.pk, vid="visitor-alice", sid=anonymous["sid"], seq=2))
    assert later.status_code == 410


def test_forget_by_identity_leaves_a_waiting_session_of_its_visitor_id_known_by_another_identity(client, site, recorded):
    """A browser two people share: the other person's session, with a batch waiting, is not the forgotten one's."""
    from privacy.services import visitor_forget

    carol = record(client, site, vid="visitor-alice", identity="carol@example.com")
    assert post_batch(client, make_batch(site.pk, vid="visitor-alice", sid=carol["sid"], seq=1)).status_code == 202

    visitor_forget(site=site, visitor="alice@example.com")
    process_pending()

    assert Session.objects.get(pk=carol["sid"]).identity == "carol@example.com"
    assert list(Chunk.objects.filter(session_id=carol["sid"]).values_list("seq", "status")) == [
        (0, "stored"), (1, "stored")]


@pytest.mark.parametrize("command", ["forgetvisitor", "exportvisitor"])
def test_visitor_commands_refuse_an_unknown_site(db, command):
    with pytest.raises(CommandError, match="No site 999999"):
        call_command(command, "--site", "999999", "someone", stdout=StringIO())


@pytest.mark.parametrize("visitor, message", [("", "required"), (" ", "required"), ("v" * 256, "at most 255"), ("a\x00b", "Null")])
def test_visitor_commands_refuse_what_the_dashboard_refuses_and_change_nothing(site, recorded, visitor, message):
    """An empty visitor named every session without an identity (forgetvisitor deleted Bob's); one too long
    or with a NUL was a database error's traceback."""
    for command in ("forgetvisitor", "exportvisitor"):
        with pytest.raises(CommandError, match=message):
            call_command(command, "--site", str(site.pk), visitor, stdout=StringIO())
    assert Session.objects.count() == 3 and stored_parts(site.pk) == 4
    assert not AuditEntry.objects.exists()


def test_viewer_cannot_use_visitor_requests(client, site, viewer, recorded):
    client.force_login(viewer)
    assert client.get(reverse("site-privacy", args=[site.pk])).status_code == 403
    forget = client.post(reverse("site-privacy-forget", args=[site.pk]),
                         {"forget-visitor": "visitor-bob", "forget-confirm": "on"})
    export = client.post(reverse("site-privacy-export", args=[site.pk]), {"export-visitor": "visitor-bob"})
    assert (forget.status_code, export.status_code) == (403, 403)
    assert Session.objects.count() == 3
    assert stored_parts(site.pk) == 4
    assert not AuditEntry.objects.exists()


def test_outsider_gets_404_for_visitor_requests(client, site, recorded):
    client.force_login(UserFactory(username="outsider"))
    assert client.get(reverse("site-privacy", args=[site.pk])).status_code == 404
    forget = client.post(reverse("site-privacy-forget", args=[site.pk]),
                         {"forget-visitor": "visitor-bob", "forget-confirm": "on"})
    export = client.post(reverse("site-privacy-export", args=[site.pk]), {"export-visitor": "visitor-bob"})
    assert (forget.status_code, export.status_code) == (404, 404)
    assert Session.objects.count() == 3


def test_deleting_a_session_asks_first_then_deletes_its_rows_and_objects(client, site, owner, recorded):
    sid = recorded["bob"]["sid"]
    url = reverse("session-delete", args=[site.pk, sid])
    client.force_login(owner)

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Delete this session?" in confirm.content.decode()
    assert Session.objects.filter(pk=sid).exists()

    response = client.post(url, follow=True)

    assert response.redirect_chain[-1][0] == reverse("session-list", args=[site.pk])
    assert "The session and its recording are deleted." in response.content.decode()
    assert not Session.objects.filter(pk=sid).exists()
    assert stored_parts(site.pk, sid) == 0
    assert Session.objects.filter(visitor_id="visitor-alice").count() == 2
    entry = AuditEntry.objects.get(action="session.delete")
    assert (entry.user, entry.target) == (owner, sid)


def test_viewer_cannot_delete_a_session(client, site, viewer, recorded):
    sid = recorded["bob"]["sid"]
    client.force_login(viewer)
    url = reverse("session-delete", args=[site.pk, sid])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Session.objects.filter(pk=sid).exists()
    assert stored_parts(site.pk, sid) == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_accepted_while_its_session_is_being_deleted_does_not_bring_it_back(client, site, recorded):
    """The deletion's rows that refuse a session's later batches count once it commits: a batch that came in
    during its transaction was accepted, and the worker then made the deleted session again from it."""
    import psycopg
    from django.db import connection

    sid = recorded["bob"]["sid"]
    other = psycopg.connect(**connection.get_connection_params())
    try:
        # Given the session's deletion under way (as privacy.services.sessions_delete writes it), not committed
        other.execute("INSERT INTO recorder_deletedsession (id, site_id, deleted_at) VALUES (%s, %s, now())",
                      [sid, site.pk])
        for table in ("recorder_pageview", "recorder_chunk"):
            other.execute(f"DELETE FROM {table} WHERE session_id = %s", [sid])
        other.execute("DELETE FROM recorder_session WHERE id = %s", [sid])
        # When the visitor's next batch comes in meanwhile, and the deletion commits
        assert post_batch(client, make_batch(site.pk, sid=sid, seq=1, vid="visitor-bob")).status_code == 202
        other.commit()
    finally:
        other.close()
    chunk = Chunk.objects.get(session_id=sid)
    chunk_process.apply(args=[chunk.pk])

    # Then the worker keeps nothing of it: no session, no batch, no stored part
    assert not Session.objects.filter(pk=sid).exists()
    assert not Chunk.objects.filter(session_id=sid).exists()
    assert stored_parts(site.pk, sid) == 0


@pytest.mark.django_db(transaction=True)
def test_a_new_session_the_worker_stores_while_its_visitor_is_forgotten_does_not_come_back(client, site, recorded):
    """The forget's refusal of a new session (no row yet, its batch waiting) counts once it commits: a worker's
    commit that read it just before, holding the batch, made the session again once the forget was done."""
    import threading

    import psycopg
    from django.db import connection

    from privacy.services import visitor_forget

    waiting = make_batch(site.pk, vid="visitor-alice")
    assert post_batch(client, waiting).status_code == 202
    chunk = Chunk.objects.get(session_id=waiting["sid"])

    def run(call):
        def target():
            try:
                call()
            finally:
                connection.close()
        thread = threading.Thread(target=target)
        thread.start()
        return thread

    other = psycopg.connect(**connection.get_connection_params())
    try:
        # Given a worker's commit that read no refusal and locked the batch, then stopped at the session's new
        # row: another transaction, not committed, inserted one with its id (the worker's insert waits for it)
        other.execute("INSERT INTO recorder_session (id, site_id, visitor_id, identity, tags, created_at,"
                      " clock_offset_ms, duration_ms, page_count, event_count, error_count, chunk_count,"
                      " stored_bytes, user_agent, browser, os, device_type, language, timezone, entry_url, referrer,"
                      " scrub_ids, rage_clicks, dead_clicks, error_clicks, quick_backs, friction, status)"
                      " VALUES (%s, %s, 'visitor-alice', '', '{}', now(), 0, 0, 0, 0, 0, 0, 0, '', '', '', '', '',"
                      " '', '', '', '[]', 0, 0, 0, 0, 0, 'active')", [waiting["sid"], site.pk])
        worker = run(lambda: chunk_process.apply(args=[chunk.pk]))
        until_waiting_for_locks(1, [worker])
        # When the visitor is forgotten meanwhile (its deletion of the batch waits for the worker's lock on it)
        forget = run(lambda: visitor_forget(site=site, visitor="alice@example.com"))
        until_waiting_for_locks(2, [worker, forget])
        # and the other transaction gives way: the worker makes the session and commits, then the forget goes on
        other.rollback()
        worker.join(60)
        forget.join(60)
    finally:
        other.close()

    # Then nothing of the visitor is left, and the session's later batches are refused
    assert not worker.is_alive() and not forget.is_alive()
    assert list(Session.objects.values_list("visitor_id", flat=True)) == ["visitor-bob"]
    assert not Chunk.objects.filter(session_id=waiting["sid"]).exists()
    assert stored_parts(site.pk, waiting["sid"]) == 0
    later = post_batch(client, make_batch(site.pk, vid="visitor-alice", sid=waiting["sid"], seq=1))
    assert later.status_code == 410


def test_an_identity_sent_with_spaces_around_it_is_found_and_forgotten_without_them(client, site, owner):
    """`__insp.push(['identify', ' bob@example.com\\n'])` was stored as sent, and the dashboard showed it
    trimmed: forgetting "bob@example.com" (the form trims what is typed) found no session."""
    batch = record(client, site, vid="visitor-bob", identity=" bob@example.com\n")
    assert Session.objects.get(pk=batch["sid"]).identity == "bob@example.com"
    client.force_login(owner)

    client.post(reverse("site-privacy-forget", args=[site.pk]),
                {"forget-visitor": "bob@example.com", "forget-confirm": "on"})

    assert not Session.objects.filter(pk=batch["sid"]).exists()


def test_identities_stored_with_spaces_around_them_lose_them_in_the_migration(client, site):
    from importlib import import_module

    from django.apps import apps

    batch = record(client, site, vid="visitor-carol", identity="carol@example.com")
    Session.objects.filter(pk=batch["sid"]).update(identity="\tcarol@example.com ")

    import_module("recorder.migrations.0014_identity_stripped").identities_stripped(apps, None)

    assert Session.objects.get(pk=batch["sid"]).identity == "carol@example.com"
