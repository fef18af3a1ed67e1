from __future__ import annotations

import copy
import hashlib
import json
import typing as t
from pathlib import Path

import pytest

from sitec.compiler.manifest import ManifestError
from sitec.compiler.manifest import build_manifest
from sitec.compiler.manifest import dumps
from sitec.compiler.manifest import generated_by
from sitec.compiler.manifest import is_sitec_manifest
from sitec.compiler.manifest import load_manifest
from sitec.compiler.model import Evidence
from sitec.compiler.model import Redirect
from sitec.compiler.model import RouteAnalysis
from sitec.compiler.model import WrittenFile
from sitec.compiler.output import StagedOutput

HTML = {"Content-Type": "text/html; charset=utf-8"}


def written(url: str, file: str, body: bytes = b"x") -> WrittenFile:
    return WrittenFile(url, file, hashlib.sha256(body).hexdigest(), len(body), dict(HTML))


def routes() -> list[RouteAnalysis]:
    return [
        RouteAnalysis(
            "blog.search",
            "/search",
            ("GET", "HEAD", "OPTIONS"),
            (),
            "dynamic",
            [Evidence("reads request.args", "app/views.py", 42, "view search")],
        ),
        RouteAnalysis(
            "blog.post", "/posts/<slug>/", ("OPTIONS", "GET", "HEAD"), ("slug",), "static"
        ),
        RouteAnalysis("index", "/", ("GET", "HEAD", "OPTIONS"), (), "static"),
        RouteAnalysis("index", "/page/<int:n>/", ("GET", "HEAD", "OPTIONS"), ("n",), "static"),
    ]


def files() -> dict[t.Any, list[WrittenFile]]:
    return {
        "blog.post": [
            written("/posts/zebra/", "posts/zebra/index.html"),
            written("/posts/apple/", "posts/apple/index.html"),
        ],
        "index": [written("/", "index.html")],
        ("index", "/page/<int:n>/"): [written("/page/2/", "page/2/index.html")],
    }


def manifest(**kwargs: t.Any) -> dict[str, t.Any]:
    options: dict[str, t.Any] = {
        "redirects": [Redirect("/old/", "/new/", 301), Redirect("/a/", "/b/", 302)],
        "base_url": "/docs/",
        "not_found": "404.html",
        "static_folders": [
            ("/static", "/srv/project/app/static"),
            ("/admin/static", "/srv/project/admin/static"),
        ],
        "project_root": "/srv/project",
    }
    options.update(kwargs)
    return build_manifest(routes(), files(), **options)


def test_shape() -> None:
    data = manifest()
    assert data["version"] == 1
    assert data["generated_by"] == generated_by()
    assert data["generated_by"].startswith("sitec")
    assert data["base_url"] == "/docs/"
    assert data["not_found"] == "404.html"
    assert data["redirects"] == [
        {"url": "/a/", "location": "/b/", "status": 302},
        {"url": "/old/", "location": "/new/", "status": 301},
    ]
    assert data["static_folders"] == [
        {"url_prefix": "/admin/static", "folder": "admin/static"},
        {"url_prefix": "/static", "folder": "app/static"},
    ]
    assert [(r["endpoint"], r["rule"]) for r in data["routes"]] == [
        ("blog.post", "/posts/<slug>/"),
        ("blog.search", "/search"),
        ("index", "/"),
        ("index", "/page/<int:n>/"),
    ]
    post, search, index, page = data["routes"]
    assert post["methods"] == ["GET", "HEAD", "OPTIONS"]
    assert post["decision"] == "static"
    assert post["reasons"] == []
    assert post["override"] is None
    assert [u["url"] for u in post["urls"]] == ["/posts/apple/", "/posts/zebra/"]
    assert post["urls"][0] == {
        "url": "/posts/apple/",
        "file": "posts/apple/index.html",
        "sha256": hashlib.sha256(b"x").hexdigest(),
        "size": 1,
        "headers": HTML,
    }
    assert search["decision"] == "dynamic"
    assert search["reasons"] == [
        {"message": "reads request.args", "file": "app/views.py", "line": 42, "via": "view search"}
    ]
    assert search["urls"] == []
    # An endpoint's files go to its first rule unless keyed by (endpoint, rule).
    assert [u["url"] for u in index["urls"]] == ["/"]
    assert [u["url"] for u in page["urls"]] == ["/page/2/"]


def test_defaults() -> None:
    data = build_manifest(routes(), files())
    assert data["base_url"] == "/"
    assert data["redirects"] == []
    assert data["not_found"] is None
    assert data["static_folders"] == []


def test_folders_outside_the_project_stay_absolute() -> None:
    data = manifest(static_folders=[("/vendor", Path("/opt/vendor"))])
    assert data["static_folders"] == [{"url_prefix": "/vendor", "folder": "/opt/vendor"}]


def test_stable_bytes(tmp_path: Path) -> None:
    shuffled_routes = list(reversed(routes()))
    shuffled_files = {key: list(reversed(value)) for key, value in reversed(files().items())}
    one = dumps(manifest())
    two = dumps(build_manifest(shuffled_routes, shuffled_files, **_options_reversed()))
    assert one == two
    assert one.endswith(b"\n")
    assert json.loads(one) == manifest()

    for name in ("a", "b"):
        with StagedOutput(tmp_path / name) as staged:
            staged.write_json("manifest.json", manifest())
            staged.commit()
    first = (tmp_path / "a" / "manifest.json").read_bytes()
    assert first == (tmp_path / "b" / "manifest.json").read_bytes() == one


def _options_reversed() -> dict[str, t.Any]:
    return {
        "redirects": [Redirect("/a/", "/b/", 302), Redirect("/old/", "/new/", 301)],
        "base_url": "/docs/",
        "not_found": "404.html",
        "static_folders": [
            ("/admin/static", "/srv/project/admin/static"),
            ("/static", "/srv/project/app/static"),
        ],
        "project_root": "/srv/project",
    }


def test_files_for_an_unknown_endpoint_are_a_bug() -> None:
    with pytest.raises(ValueError, match="nope"):
        build_manifest(routes(), {"nope": [written("/x", "x.html")]})


def test_a_dynamic_route_needs_a_reason() -> None:
    bare = [RouteAnalysis("x", "/x", ("POST",), (), "dynamic")]
    with pytest.raises(ManifestError, match="at least one reason"):
        build_manifest(bare, {})


def test_a_dynamic_route_has_no_files() -> None:
    with pytest.raises(ManifestError, match="no files"):
        build_manifest(routes(), {"blog.search": [written("/search", "search.html")]})


def test_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(dumps(manifest()))
    assert load_manifest(path) == manifest()
    assert is_sitec_manifest(path)


def _broken(change: t.Callable[[dict[str, t.Any]], None]) -> dict[str, t.Any]:
    data = copy.deepcopy(manifest())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("version"), "version: must be an integer"),
        (lambda d: d.update(version=2), "version: is 2; this sitec reads version 1"),
        (lambda d: d.update(routes={}), "routes: must be a list"),
        (lambda d: d["routes"].append("x"), "routes[4]: must be an object"),
        (lambda d: d["routes"][0].pop("rule"), "routes[0].rule: must be a string"),
        (lambda d: d["routes"][0].update(decision="maybe"), "decision: must be static or dynamic"),
        (lambda d: d["routes"][0].update(methods="GET"), "methods: must be a list of strings"),
        (lambda d: d["routes"][1].update(override="static"), "override: must be null or the"),
        (lambda d: d["routes"][0].pop("dynamic_methods"), "dynamic_methods: must be a list"),
        (lambda d: d["routes"][0].update(dynamic_methods=["PUT"]), "of the rule's methods"),
        (lambda d: d["routes"][1].update(reasons=[]), "blog.search /search).reasons: a dynamic"),
        (lambda d: d["routes"][1]["reasons"][0].pop("message"), "message: must be a string"),
        (lambda d: d["routes"][1]["reasons"][0].update(line="42"), "line: must be int"),
        (lambda d: d["routes"][0]["urls"][0].update(file="../x"), "urls[0].file: '../x'"),
        (lambda d: d["routes"][0]["urls"][0].update(file="/abs"), "absolute"),
        (lambda d: d["routes"][0]["urls"][0].update(url="x"), "urls[0].url: must be a path"),
        (lambda d: d["routes"][0]["urls"][0].update(sha256="abc"), "sha256: not a hash"),
        (lambda d: d["routes"][0]["urls"][0].update(headers={"A": 1}), "headers: must map"),
        (lambda d: d.update(not_found="../404.html"), "not_found: '../404.html'"),
        (lambda d: d["redirects"][0].update(status=200), "redirects[0].status: must be 3xx"),
        (lambda d: d["redirects"][0].pop("location"), "redirects[0].location"),
        (lambda d: d["static_folders"][0].update(url_prefix="static"), "url_prefix"),
        (lambda d: d.update(base_url=None), "base_url: must be a string"),
    ],
)
def test_load_reports_wrong_shapes(
    tmp_path: Path, change: t.Callable[[dict[str, t.Any]], None], message: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(_broken(change)))
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_load_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read it"):
        load_manifest(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(bad)
    bad.write_text("[]")
    with pytest.raises(ManifestError, match="must be a JSON object"):
        load_manifest(bad)


def test_is_sitec_manifest(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    assert not is_sitec_manifest(path)
    path.write_text('{"manifest_version": 3, "name": "an extension"}')
    assert not is_sitec_manifest(path)
    path.write_text('{"version": 2, "routes": []}')  # a newer sitec's: still ours to replace
    assert is_sitec_manifest(path)


def test_each_url_and_reason_is_one_line() -> None:
    text = dumps(manifest()).decode()
    lines = text.splitlines()
    for route in manifest()["routes"]:
        for item in (*route["urls"], *route["reasons"]):
            assert json.dumps(item, sort_keys=True, ensure_ascii=False) in [
                line.strip().rstrip(",") for line in lines
            ]
    assert '"methods": ["GET", "HEAD", "OPTIONS"]' in text
    assert lines[0] == "{" and lines[1].startswith('  "')  # indented down to those lines
