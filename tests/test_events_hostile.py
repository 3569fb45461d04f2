"""A session's recording endpoints under hostile part names, methods and headers: never a 500.

On whichever database the suite runs on (Postgres refuses out-of-range ids that SQLite takes).
"""
import json

import pytest
from rest_framework.authtoken.models import Token

from recorder.compaction import session_compact
from recorder.models import Segment
from tests.conftest import s3_client
from tests.test_compaction import record

pytestmark = pytest.mark.django_db

PART_NAMES = [
    "s0", "s" + "9" * 18, "s" + "9" * 19, "s-1", "sx", "zz", "c0", "c-1", "c--", "c-0-", "c0-1-2", "c9-0", "c00-0",
    "c0-999999999", "c" + "9" * 9 + "-" + "9" * 9, "c0-" + "9" * 10,
]
HEADERS = [
    {}, {"HTTP_RANGE": "bytes=0-10"}, {"HTTP_RANGE": "bytes=-1"}, {"HTTP_ACCEPT_ENCODING": "zstd;q=x, gzip;q=-1, *"},
    {"HTTP_IF_NONE_MATCH": "*"}, {"HTTP_IF_MODIFIED_SINCE": "not a date"},
]


@pytest.fixture
def two_sessions(client, site):
    """Two recorded sessions of the site, the first compacted (segments) and the second not (chunks)."""
    first, second = record(client, site, 6), record(client, site, 6)
    assert session_compact(session_id=first) == 2
    return first, second


def test_no_part_name_method_or_header_gives_a_500(client, owner, two_sessions):
    first, second = two_sessions
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=owner).key}"}
    another_sessions_segment = f"s{Segment.objects.filter(session_id=first).first().pk}"
    for sid in two_sessions:
        tails = ["events/", "recording/"] + [f"recording/{name}/" for name in PART_NAMES + [another_sessions_segment]]
        for tail in tails:
            for method in (client.get, client.head, client.options, client.post, client.delete):
                for headers in HEADERS:
                    response = method(f"/api/v1/sessions/{sid}/{tail}", **auth, **headers)
                    body = b"".join(response.streaming_content) if response.streaming else response.content
                    assert response.status_code < 500, (sid, tail, method, headers)
                    if response.status_code >= 400 and method is not client.head:
                        assert response["Content-Type"].startswith("application/json"), (sid, tail, method, body)


def test_a_part_whose_object_is_gone_is_a_404_and_the_events_end_whole(client, owner, two_sessions, settings):
    """A deletion takes a session's objects first and its rows after (a crash in between leaves the rows until
    a rerun): the player's request for a part read an object that was gone and got a 500."""
    first, _ = two_sessions
    segment = Segment.objects.filter(session_id=first).order_by("first_ts").first()
    s3_client().delete_object(Bucket=settings.S3_BUCKET, Key=segment.key)
    client.force_login(owner)

    part = client.get(f"/api/v1/sessions/{first}/recording/s{segment.pk}/")
    events = json.loads(b"".join(client.get(f"/api/v1/sessions/{first}/events/").streaming_content))

    assert part.status_code == 404 and "gone" in part.json()["detail"]
    assert events == [{"type": 5, "timestamp": 0, "data": {"tag": "hs.session", "payload": {"deleted_during_read": True}}}]
