"""Gzipped size of the recorder bundle (static/build/recorder.js), of what the loader
actually serves (the bundle wrapped with a site's config), and of @rrweb/record alone.

    .venv/bin/python bench/bundle_size.py
"""
import argparse
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import RECORDER_BUNDLE, RECORDER_JS, ROOT, log, machine, write_json  # noqa: E402

BUDGET_BYTES = 30 * 1000  # "30 KB gzipped"; also shown against 30 KiB


def sizes(data: bytes) -> dict:
    out = {"raw": len(data), "gzip9": len(gzip.compress(data, 9, mtime=0)), "gzip6": len(gzip.compress(data, 6, mtime=0))}
    try:
        import brotli  # optional

        out["brotli11"] = len(brotli.compress(data, quality=11))
    except ImportError:
        pass
    return out


def loader_answer(bundle: str) -> bytes:
    """What GET /recorder.js?wid=ID returns for a site with default settings."""
    import os

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from sites.models import Site
    from sites.snippet import loader_script, recorder_config

    site = Site(pk=12, name="Shop", domains=["shop.example.com"])
    return loader_script(bundle, recorder_config(site, "https://hindsight.example.com")).encode()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.parse_args(argv)
    from frame_cost import build_rrweb_plain

    if not RECORDER_BUNDLE.exists():
        raise SystemExit(f"{RECORDER_BUNDLE} is missing: run `make build` (or npm run build in static/recorder-js)")
    bundle = RECORDER_BUNDLE.read_bytes()
    rows = {
        "recorder.js (static/build)": sizes(bundle),
        "loader answer (bundle + config)": sizes(loader_answer(bundle.decode())),
        "@rrweb/record alone (esbuild --minify)": sizes(build_rrweb_plain(minify=True)),
    }
    umd = RECORDER_JS / "node_modules" / "@rrweb" / "record" / "dist" / "record.umd.min.cjs"
    if umd.exists():
        rows["@rrweb/record dist record.umd.min.cjs"] = sizes(umd.read_bytes())
    version = json.loads((RECORDER_JS / "node_modules" / "@rrweb" / "record" / "package.json").read_text())["version"]
    print()
    print(f"{'file':<42}{'raw':>10}{'gzip -9':>10}{'gzip -6':>10}" + (f"{'brotli':>10}" if "brotli11" in rows["recorder.js (static/build)"] else ""))
    for name, s in rows.items():
        print(f"{name:<42}{s['raw']:>10}{s['gzip9']:>10}{s['gzip6']:>10}" + (f"{s['brotli11']:>10}" if "brotli11" in s else ""))
    g = rows["recorder.js (static/build)"]["gzip9"]
    print(f"\nrecorder.js gzipped: {g} bytes = {g / 1000:.1f} KB = {g / 1024:.1f} KiB; budget 30 KB: "
          + ("ok" if g <= BUDGET_BYTES else f"MISSED by {g - BUDGET_BYTES} bytes"))
    if rows["recorder.js (static/build)"]["raw"] < 50000:
        log("warning: the bundle is under 50 KB raw: a placeholder?")
    out = {"kind": "bundle_size", "machine": machine(), "rrweb_record_version": version, "budget_bytes": BUDGET_BYTES,
           "date": time.strftime("%Y-%m-%d %H:%M:%S"), "sizes": rows}
    path = write_json("bundle_size.json", out)
    log(f"results: {path}")
    return out


if __name__ == "__main__":
    main()
