"""The recorder ships to every visitor of every site: its size has a budget."""
import gzip

from django.conf import settings

BUDGET = 30 * 1024


def test_gzipped_recorder_bundle_stays_within_30_kb():
    bundle = settings.RECORDER_BUNDLE.read_bytes()
    assert len(bundle) > 20_000, "the bundle looks like a placeholder; run `make build`"
    assert len(gzip.compress(bundle, compresslevel=9)) <= BUDGET
