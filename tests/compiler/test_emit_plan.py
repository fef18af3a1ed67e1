"""The emit stage alone: the deploy plan from a manifest, host patterns, escaping for each
config language, PublicFiles without an app, and ``--target``."""

from __future__ import annotations

import re
import typing as t

import pytest
from test_build_support import manifest_of
from test_build_support import settings_for
from werkzeug.routing import BaseConverter
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.test import Client

from sitec.compiler.build import build
from sitec.compiler.emit import caddy
from sitec.compiler.emit import nginx
from sitec.compiler.emit.patterns import rule_pattern
from sitec.compiler.emit.patterns import to_netlify
from sitec.compiler.emit.patterns import to_regex
from sitec.compiler.emit.plan import plan_deploy
from sitec.compiler.emit.render import UnsafeValue
from sitec.compiler.load import load_app
from sitec.compiler.manifest import dumps
from sitec.compiler.project import DeploySettings
from sitec.compiler.public_files import PublicFiles
from sitec.runtime import Flask

HTML = {"Content-Type": "text/html; charset=utf-8"}


def manifest(*routes: dict[str, t.Any], base_url: str = "/", **extra: t.Any) -> dict:
    return {"version": 1, "base_url": base_url, "routes": list(routes), "redirects": []} | extra


def route(endpoint: str, rule: str, urls=(), decision="static", methods=("GET", "HEAD")):
    reasons = [{"message": "reads request.args"}] if decision == "dynamic" else []
    dynamic = set(methods) if decision == "dynamic" else set(methods) - {"GET", "HEAD"}
    return {
        "endpoint": endpoint,
        "rule": rule,
        "methods": list(methods),
        "dynamic_methods": sorted(dynamic),
        "decision": decision,
        "reasons": reasons,
        "urls": [
            {"url": url, "file": file, "sha256": "0" * 64, "headers": dict(HTML)}
            for url, file in urls
        ],
    }


def test_a_plan_from_the_manifest_alone() -> None:
    data = manifest(
        route("post", "/posts/<slug>/", [("/posts/caf%C3%A9/", "posts/café/index.html")]),
        route("about", "/about", [("/about", "about.html")]),
        route("edit", "/posts/<slug>/edit", decision="dynamic", methods=("GET", "POST")),
        route("wiki", "/wiki/<custom(3):page>", decision="dynamic"),
        base_url="/docs/",
        not_found="404.html",
    )
    plan = plan_deploy(data)
    assert not plan.other_methods  # only dynamic rules take POST
    data["routes"].append(
        route("form", "/form/", [("/form/", "form/index.html")], methods=("GET", "HEAD", "POST"))
    )
    plan = plan_deploy(data)
    assert [(f.path, f.file) for f in plan.files] == [
        ("/docs/about", "about.html"),
        ("/docs/form/", "form/index.html"),
        ("/docs/posts/café/", "posts/café/index.html"),
    ]
    assert [(r.path, r.location, r.status) for r in plan.redirects] == [
        ("/docs", "/docs/", 308),
        ("/docs/form", "/docs/form/", 308),
        ("/docs/posts/café", "/docs/posts/caf%C3%A9/", 308),
    ]
    regexes = [to_regex(r.pattern, plan.prefix) for r in plan.app_routes]
    # The converter this process does not know is read as "anything".
    assert regexes == ["^/docs/posts/[^/]*/edit$", "^/docs/wiki/.*$"]
    assert plan.needs_app and plan.other_methods and not plan.fallback_to_app
    # Static pages alone need the app when one takes a POST.
    static = [r for r in data["routes"] if r["decision"] == "static"]
    assert plan_deploy(data | {"routes": static}).needs_app
    assert plan.not_found is not None and plan.not_found.headers == HTML


class _NotAdmin(BaseConverter):
    regex = r"(?!admin)[a-z]+"


RULES = [
    ("/", "/", "^/?$", "/"),
    ("/posts/<int:n>/", "/posts/12/", "^/posts/[^/]*/?$", "/posts/:p2/"),
    ("/x/<path:rest>/edit", "/x/a/b/edit", "^/x/.*/edit$", "/x/*"),
    ("/u/<lower:name>", "/u/bob", "^/u/[^/]*$", "/u/:p2"),
    ("/f-<name>.html", "/f-a.html", "^/f-[^/]*\\.html$", "/:p1"),
    ("/a b/$[x]", "/a b/$[x]", "^/a b/\\$\\[x\\]$", "/a%20b/$%5Bx%5D"),
    ("/n:*", "/n:*", "^/n:\\*$", "/n%3A%2A"),
]


@pytest.mark.parametrize(("rule", "example", "regex", "netlify"), RULES)
def test_host_patterns_cover_the_rule(rule: str, example: str, regex: str, netlify: str) -> None:
    url_map = Map([Rule(rule, endpoint="e")], converters={"lower": _NotAdmin})
    pattern = rule_pattern(next(url_map.iter_rules()))
    assert to_regex(pattern, "/") == regex
    assert to_netlify(pattern, "/") == netlify
    # Wider than the rule, never narrower: what werkzeug matches, the host sends on.
    adapter = url_map.bind("localhost")
    for path in (example, example.rstrip("/"), "/u/admin", "/posts/x/", "/x/a/edit"):
        try:
            adapter.match(path)
        except Exception:
            continue
        assert re.match(regex, path), (rule, path)


def test_a_subdomain_rule_is_reported_and_leaves_the_sites_paths_alone() -> None:
    """The API on api.example.org is not the site's host: its ``/`` and ``/v1/<x>`` must
    not send the site's unknown paths to the app, which would answer them with its own
    404 instead of the site's 404 page."""
    app = Flask(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.org"
    app.add_url_rule("/", "api_index", lambda: "api", subdomain="api")
    app.add_url_rule("/v1/<name>", "api_item", lambda name: name, subdomain="api")
    app.add_url_rule("/search", "search", lambda: "results")
    data = manifest(
        route("index", "/", [("/", "index.html")]),
        route("api_index", "/", decision="dynamic"),
        route("api_item", "/v1/<name>", decision="dynamic"),
        not_found="404.html",
    )
    plan = plan_deploy(data, app.url_map)
    problems = plan.problems()
    assert len(problems) == 2
    assert problems[0] == (
        "api_index (/): it answers only on the subdomain 'api', which the host configs do"
        " not serve (they serve the site's own host). Send that host name to the WSGI"
        " server, which answers it as the runtime does."
    )
    assert not plan.needs_app and not plan.fallback_to_app
    text = nginx.render_nginx(plan, DeploySettings(), "/srv/site/public", None)
    assert "proxy_pass" not in text
    assert text.rstrip().endswith("location / {\n        return 404;\n    }\n}")
    caddyfile = caddy.render_caddy(plan, DeploySettings(), "/srv/site/public")
    assert "reverse_proxy" not in caddyfile and "handle_errors" in caddyfile

    # With a dynamic rule of its own host the site needs the app, still only for its
    # own paths.
    data["routes"].append(route("search", "/search", decision="dynamic"))
    plan = plan_deploy(data, app.url_map)
    assert plan.needs_app and not plan.fallback_to_app
    assert [r.endpoint for r in plan.app_routes if r.pattern is not None] == ["search"]


@pytest.mark.parametrize(
    ("value", "nginx_text", "caddy_text"),
    [
        ('a "b" c', '"a \\"b\\" c"', '"a \\"b\\" c"'),
        ("x $HOME; y", '"x ${sitec_dollar}HOME; y"', '"x $HOME; y"'),
        ("{brace}", '"{brace}"', '"\\{brace\\}"'),
        ("back\\slash", '"back\\\\slash"', '"back\\slash"'),
        ("café", '"café"', '"café"'),
    ],
)
def test_values_are_escaped_for_each_config(value: str, nginx_text: str, caddy_text: str) -> None:
    assert nginx.quoted(value) == nginx_text
    assert nginx.literal(value) == nginx_text.replace("${sitec_dollar}", "$")
    assert caddy.quoted(value) == caddy_text


@pytest.mark.parametrize("value", ["a\nb", "tab\there", "nul\x00"])
def test_control_characters_are_refused_everywhere(value: str) -> None:
    for escape in (nginx.quoted, nginx.literal, caddy.quoted):
        with pytest.raises(UnsafeValue):
            escape(value)


@pytest.mark.parametrize("value", ["x{$HOME}", "ends\\", 'a\\"b'])
def test_what_a_caddyfile_cannot_hold_is_refused(value: str) -> None:
    with pytest.raises(UnsafeValue):
        caddy.quoted(value)


@pytest.fixture
def out(tmp_path):
    public = tmp_path / "public"
    (public / "a").mkdir(parents=True)
    (public / "a/index.html").write_bytes(b"<p>a</p>")
    (public / "404.html").write_bytes(b"<p>missing</p>")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (public / "leak.html").symlink_to(tmp_path / "secret.txt")
    data = manifest(
        route("a", "/a/", [("/a/", "a/index.html")]),
        route("leak", "/leak", [("/leak", "leak.html")]),
        not_found="404.html",
        not_found_headers=HTML,
        redirects=[{"url": "/old/", "location": "/a/", "status": 301}],
    )
    (tmp_path / "manifest.json").write_bytes(dumps(data))
    return tmp_path


def test_public_files_alone_answer_as_the_host_configs(out) -> None:
    client = Client(PublicFiles(out))
    page = client.get("/a/")
    assert (page.status_code, page.get_data(), page.content_type) == (
        200,
        b"<p>a</p>",
        HTML["Content-Type"],
    )
    assert "Cache-Control" not in page.headers
    etag = page.headers["ETag"]
    assert client.get("/a/", headers={"If-None-Match": etag}).status_code == 304
    partial = client.get("/a/", headers={"Range": "bytes=0-2"})
    assert (partial.status_code, partial.get_data()) == (206, b"<p>")
    head = client.head("/a/")
    assert (head.status_code, head.get_data()) == (200, b"")
    slashless = client.get("/a?x=1")
    assert (slashless.status_code, slashless.headers["Location"]) == (308, "/a/?x=1")
    old = client.get("/old/")
    assert (old.status_code, old.headers["Location"]) == (301, "/a/")
    missing = client.get("/nope")
    assert (missing.status_code, missing.get_data()) == (404, b"<p>missing</p>")
    assert client.post("/a/").status_code == 405


def test_public_files_never_serve_outside_public(out) -> None:
    response = Client(PublicFiles(out)).get("/leak")
    assert response.status_code == 404
    assert b"secret" not in response.get_data()


def test_public_files_pass_the_rest_to_the_app(out) -> None:
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"app {environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()]

    client = Client(PublicFiles(out, fallback=app))
    assert client.get("/a/").get_data() == b"<p>a</p>"
    assert client.get("/nope").get_data() == b"app GET /nope"
    assert client.post("/a/").get_data() == b"app POST /a/"


def test_target_chooses_the_configs(build_project, tmp_path, run_sitec) -> None:
    project = build_project("deploy_site")
    process = run_sitec(["build", "-o", str(tmp_path / "out"), "--target", "nginx"], project)
    assert process.returncode == 0, process.stdout + process.stderr
    deploy = tmp_path / "out/deploy"
    assert sorted(p.name for p in deploy.iterdir()) == ["nginx.conf"]
    assert (tmp_path / "out/server/wsgi.py").is_file()
    process = run_sitec(["build", "-o", str(tmp_path / "out"), "--target", "apache"], project)
    assert process.returncode != 0 and "Traceback" not in process.stderr
    assert "unknown deploy target 'apache'" in process.stderr


def test_static_files_keep_the_apps_caching(build_project) -> None:
    """SEND_FILE_MAX_AGE_DEFAULT (Flask's way to cache static files long) reaches the
    manifest and the configs, equal to what the runtime sends."""
    project = build_project("deploy_site")
    source = project / "deploy_app.py"
    source.write_text(
        source.read_text().replace(
            "    app = Flask(__name__)\n",
            '    app = Flask(__name__)\n    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 31536000\n',
        )
    )
    settings = settings_for(project)
    assert build(settings).committed
    [entry] = [u for u in written(settings) if u["url"] == "/static/site.css"]
    assert entry["headers"]["Cache-Control"] == "public, max-age=31536000"
    runtime = load_app(settings).test_client().get("/static/site.css")
    assert runtime.headers["Cache-Control"] == entry["headers"]["Cache-Control"]
    runtime.close()
    nginx_conf = (settings.output / "deploy/nginx.conf").read_text()
    assert 'add_header Cache-Control "public, max-age=31536000";' in nginx_conf


def written(settings) -> list[dict[str, t.Any]]:
    return [u for r in manifest_of(settings.output)["routes"] for u in r["urls"]]


def test_a_site_without_a_dynamic_half_needs_no_wsgi_server() -> None:
    data = manifest(route("a", "/a/", [("/a/", "a/index.html")]), not_found="404.html")
    plan = plan_deploy(data)
    assert not plan.needs_app and not plan.fallback_to_app
    nginx_conf = nginx.render_nginx(plan, DeploySettings(), "/srv/site/public", None)
    caddyfile = caddy.render_caddy(plan, DeploySettings(), "/srv/site/public")
    assert "proxy_pass" not in nginx_conf and "reverse_proxy" not in caddyfile
    assert "error_page 404 @not_found;" in nginx_conf and "handle_errors" in caddyfile
