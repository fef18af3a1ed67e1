"""The build record on disk, and RecordReader, which reads it again only when it changed."""

from __future__ import annotations

from pathlib import Path

from sitec.compiler.graph.record import BuildRecord
from sitec.compiler.graph.record import PageEntry
from sitec.compiler.graph.record import RecordReader
from sitec.compiler.graph.record import manifest_digest


def committed_output(out: Path, manifest: bytes, page: str) -> BuildRecord:
    """An output folder with ``manifest`` and the record of the build that made it."""
    out.mkdir(exist_ok=True)
    (out / "manifest.json").write_bytes(manifest)
    record = BuildRecord(out, settings="s", config="c", manifest=manifest_digest(out) or "")
    record.pages[page] = PageEntry(
        endpoint="index",
        status=200,
        headers=[("Content-Type", "text/html; charset=utf-8")],
        reads=[],
        g_feeding_reads=[],
        templates=["index.html"],
        files=[],
        folders=[],
        links=["/about/"],
        error=None,
        inputs=0,
        code="f00d",
        file="index.html",
        sha256="0" * 64,
        size=3,
    )
    record.save()
    return record


def test_a_saved_record_reads_back_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "site"
    saved = committed_output(out, b'{"version": 1, "routes": []}\n', "/")
    loaded = BuildRecord.load(out)
    assert loaded is not None
    assert loaded.pages == saved.pages
    assert (loaded.settings, loaded.config, loaded.manifest) == ("s", "c", saved.manifest)

    # Encoded ahead, then given the deploy bundle (written meanwhile) and saved.
    saved.encode()
    saved.bundle_key, saved.bundle_problems = "key", ["a problem"]
    saved.bundle = {"server/wsgi.py": (10, 20)}
    saved.save()
    loaded = BuildRecord.load(out)
    assert loaded is not None and loaded.pages == saved.pages
    assert (loaded.bundle_key, loaded.bundle_problems) == ("key", ["a problem"])
    assert loaded.bundle == {"server/wsgi.py": (10, 20)}


def test_the_reader_reads_the_file_again_only_when_it_changed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    committed_output(out, b'{"version": 1, "routes": []}\n', "/")
    reader = RecordReader(out)
    first = reader.read()
    assert first is not None and list(first.pages) == ["/"]
    assert reader.read() is first  # the same file: the same record, not read again

    committed_output(out, b'{"version": 1, "routes": [], "n": 2}\n', "/two/")
    second = reader.read()
    assert second is not None and list(second.pages) == ["/two/"]

    # Another build replaced the output without a record: this one describes nothing.
    (out / "manifest.json").write_bytes(b'{"version": 1, "routes": [], "n": 3}\n')
    assert reader.read() is None
    assert BuildRecord.load(out) is None

    (out.parent / ".sitec-cache" / "site" / "record.json").unlink()
    assert reader.read() is None
