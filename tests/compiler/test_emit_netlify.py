"""Netlify's ``_redirects`` and ``_headers``, read by a parser of Netlify's documented rules.

No network: :class:`NetlifySimulator` parses both files as Netlify documents them (one
rule a line, ``from to [status][!]``, default status 301, ``:name`` a path segment, ``*``
a splat only at the end, ``:splat`` in the target, paths percent-encoded and matched
case-sensitively without regard to a trailing slash, files served before rules that are
not forced; ``_headers``: a path line, then indented ``Name: value`` lines, every matching
block applying) and answers a request the way Netlify would from the publish folder.
Then every URL of the fixture site gets, through it, what the runtime answers.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import settings_for
from test_emit_support import Answer
from test_emit_support import ask_runtime
from test_emit_support import assert_fingerprinted_files_are_cached_long

from sitec.compiler.build import build
from sitec.compiler.load import load_app
from sitec.compiler.project import DeploySettings

ORIGIN = "https://app.example.org"
_ENCODED_OK = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()+,;=@/]|%[0-9A-F]{2})*$")


@dataclasses.dataclass
class Rule:
    source: str
    target: str
    status: int
    force: bool


class NetlifySimulator:
    """What Netlify answers from ``publish`` with these two files (see the module doc)."""

    def __init__(self, publish: Path, redirects: str, headers: str) -> None:
        self.publish = publish
        self.rules = [self._parse_rule(line) for line in _lines(redirects)]
        self.headers = self._parse_headers(headers)

    @staticmethod
    def _parse_rule(line: str) -> Rule:
        parts = line.split()
        assert len(parts) in (2, 3), f"a rule is 'from to [status]': {line!r}"
        source, target = parts[:2]
        status_text = parts[2] if len(parts) == 3 else "301"
        force = status_text.endswith("!")
        assert status_text.rstrip("!").isdigit(), f"the third field is a status: {line!r}"
        status = int(status_text.rstrip("!"))
        assert status in {200, 301, 302, 303, 307, 308, 404}, line
        _check_path(source.removesuffix("*"))
        assert "*" not in source[:-1], f"a splat only ends a path: {line!r}"
        assert target.startswith(("/", "https://", "http://")), line
        if target.startswith("http"):
            assert status == 200, f"a proxy rule has status 200: {line!r}"
        return Rule(source, target, status, force)

    @staticmethod
    def _parse_headers(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
        blocks: list[tuple[str, list[tuple[str, str]]]] = []
        for raw in text.splitlines():
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            if not raw[0].isspace():
                _check_path(raw.strip())
                blocks.append((raw.strip(), []))
                continue
            name, sep, value = raw.strip().partition(":")
            assert sep and blocks and re.fullmatch(r"[A-Za-z0-9-]+", name), raw
            blocks[-1][1].append((name, value.strip()))
        return blocks

    def answer(self, path: str) -> Answer:
        """The answer to a GET of the request path ``path`` (percent-encoded)."""
        path, _, query = path.partition("?")
        file = self._file_for(path)
        for rule in self.rules:
            values = _match(rule.source, path)
            if values is None or (file is not None and not rule.force):
                continue
            target = rule.target
            for name, value in values.items():
                target = target.replace(f":{name}", value)
            if target.startswith("http"):
                proxied = target + (f"?{query}" if query else "")
                return Answer(200, {"x-proxied-to": proxied}, b"")
            if rule.status == 200:
                return self.answer(target)
            return Answer(rule.status, {"location": target}, b"")
        if file is None:
            folder = self.publish / unquote(path).lstrip("/")
            if (folder / "index.html").is_file() and not path.endswith("/"):
                return Answer(301, {"location": path + "/"}, b"")  # pretty URLs
            return self._serve(self.publish / "404.html", path, 404)
        return self._serve(file, path, 200)

    def _file_for(self, path: str) -> Path | None:
        name = unquote(path).lstrip("/")
        candidates = [name + "index.html"] if path.endswith("/") else [name, name + ".html"]
        for candidate in candidates:
            if candidate and (self.publish / candidate).is_file():
                return self.publish / candidate
        return None

    def _serve(self, file: Path, path: str, status: int) -> Answer:
        found: dict[str, str] = {}
        for pattern, headers in self.headers:
            if _match(pattern, path) is not None:
                found.update((name.lower(), value) for name, value in headers)
        return Answer(status, found, file.read_bytes())


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _check_path(path: str) -> None:
    assert path.startswith("/"), path
    literal = re.sub(r"/:[A-Za-z_]\w*(?=/|$)", "/", path)
    assert _ENCODED_OK.match(literal), f"special characters must be percent-encoded: {path!r}"


def _match(pattern: str, path: str) -> dict[str, str] | None:
    """Netlify's match of a rule path against a request path, slashes at the end ignored."""
    splat = pattern.endswith("*")
    rule = [unquote(s) if not s.startswith(":") else s for s in pattern.rstrip("*").split("/")]
    if splat:
        rule = rule[:-1]
    request = [unquote(segment) for segment in path.split("/")]
    while len(rule) > 1 and rule[-1] == "":
        rule.pop()
    while len(request) > 1 and request[-1] == "":
        request.pop()
    if len(request) < len(rule) or (not splat and len(request) != len(rule)):
        return None
    values = {}
    for want, got in zip(rule, request, strict=False):
        if want.startswith(":"):
            values[want[1:]] = got
        elif want != got:
            return None
    if splat:
        values["splat"] = "/".join(request[len(rule) :])
    return values


@pytest.mark.parametrize("base_url", ["/", "/docs/"])
def test_netlify_answers_every_url_as_the_runtime(build_project, base_url: str) -> None:
    project = build_project("deploy_site")
    settings = dataclasses.replace(
        settings_for(project, base_url=base_url),
        deploy=DeploySettings(targets=("netlify",), app_origin=ORIGIN),
    )
    result = build(settings)
    assert result.committed, report_of(result)
    out = settings.output
    assert not (out / "deploy/nginx.conf").exists()
    netlify = NetlifySimulator(
        out / "public",
        (out / "deploy/netlify/_redirects").read_text(encoding="utf-8"),
        (out / "deploy/netlify/_headers").read_text(encoding="utf-8"),
    )
    manifest = manifest_of(out)
    client = load_app(settings).test_client()
    script = base_url.rstrip("/")

    def runtime(url: str) -> Answer:
        return ask_runtime(client, "GET", url, script)

    for route in manifest["routes"]:
        for entry in route["urls"]:
            got, expected = netlify.answer(script + entry["url"]), runtime(entry["url"])
            assert (got.status, got.body) == (expected.status, expected.body), entry["url"]
            assert got.header("Content-Type") == expected.header("Content-Type"), entry["url"]
            for name, value in entry["headers"].items():
                assert got.header(name) == value, (entry["url"], name)
    for redirect in manifest["redirects"]:
        got = netlify.answer(script + redirect["url"])
        assert (got.status, got.header("Location")) == (redirect["status"], redirect["location"])
    # Netlify matches rules without regard to a trailing slash, so it cannot replay the
    # runtime's 308 from /a to /a/: at the root it adds the slash itself with a 301; under
    # a prefix the rewrite of /docs/a/ answers /docs/a with the page.
    assert runtime("/a").status == 308
    slashless = netlify.answer(script + "/a")
    if script:
        assert (slashless.status, slashless.body) == (200, runtime("/a/").body)
    else:
        assert (slashless.status, slashless.header("Location")) == (301, "/a/")
    # Dynamic URLs are proxied with their path (Netlify ignores a rule's trailing slash,
    # so /hits/3 goes to the app as /hits/3/ where the runtime would redirect).
    for url in ("/search?q=caf%C3%A9", "/hits/3/", "/u/bob"):
        assert netlify.answer(script + url).header("x-proxied-to") == ORIGIN + script + url
    missing = netlify.answer(script + "/no/such/page/")
    assert (missing.status, missing.body) == (404, runtime("/no/such/page/").body)
    assert_fingerprinted_files_are_cached_long(lambda url: netlify.answer(script + url), runtime)


def test_without_app_origin_netlify_files_are_not_written_when_asked_for(build_project) -> None:
    project = build_project("deploy_site")
    settings = dataclasses.replace(
        settings_for(project), deploy=DeploySettings(targets=("netlify", "nginx"))
    )
    result = build(settings)
    assert result.committed
    [problem] = [p for p in result.problems if "Netlify" in p.message]
    assert problem.kind == "host-config" and "app-origin" in problem.message
    assert not (settings.output / "deploy/netlify").exists()
    assert (settings.output / "deploy/nginx.conf").is_file()


def test_the_parser_refuses_what_netlify_documents_as_wrong() -> None:
    for line in ("/a b /c", "/a/*/b /c 200", "/x https://app.example.org 301"):
        with pytest.raises(AssertionError):
            NetlifySimulator._parse_rule(line)
    assert _match("/posts/:slug", "/posts/hello/") == {"slug": "hello"}
    assert _match("/docs/*", "/docs/a/b") == {"splat": "a/b"}
    assert _match("/posts/:slug", "/posts/a/b") is None
