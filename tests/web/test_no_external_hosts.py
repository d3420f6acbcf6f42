"""The platform must work on a government intranet: no template, stylesheet or script of ours loads
anything from another host (the browser tests also refuse and record any such request on the pages
they open; this covers every template, opened or not). Links a person may follow (<a href>) are not
requests and are not looked at."""

from __future__ import annotations

import re
from pathlib import Path

import yousu

ROOT = Path(yousu.__file__).resolve().parent

# A resource a browser fetches by itself: script, stylesheet, image, frame, media, font or CSS import,
# and scripts' own requests. "//host" (scheme-relative) counts as another host too.
EXTERNAL = [
    re.compile(r"<(script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(https?:)?//", re.I),
    re.compile(r"url\(\s*[\"']?(https?:)?//", re.I),
    re.compile(r"@import\s+[\"'](https?:)?//", re.I),
    re.compile(r"(fetch|open)\(\s*[\"'`](https?:)?//", re.I),
    re.compile(r"tileLayer\(\s*[\"'`](https?:)?//", re.I),
]


def ours() -> list[Path]:
    files = [*ROOT.rglob("templates/**/*.html")]
    for suffix in ("*.js", "*.css"):
        files += [path for path in ROOT.rglob(f"static/**/{suffix}") if "vendor" not in path.parts]
    return files


def test_no_template_or_asset_of_ours_loads_from_another_host():
    files = ours()
    assert len(files) > 20  # the search found the templates and assets
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in files
        for pattern in EXTERNAL
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_recognises_a_cdn_link(tmp_path):
    # The patterns must be able to fail.
    samples = [
        '<script src="https://cdn.example.com/echarts.min.js"></script>',
        "<link rel=stylesheet href=//unpkg.com/leaflet.css>",
        "background: url('https://tiles.example.com/1.png')",
        "L.tileLayer('https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png')",
    ]
    for sample in samples:
        assert any(pattern.search(sample) for pattern in EXTERNAL), sample
