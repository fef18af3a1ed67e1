"""Long-lived caching for fingerprinted static files: which names count, how the build
records them, and the ``fingerprint`` setting of ``[tool.sitec.deploy]``.

Fixture project: ``tests/apps/deploy_site``, whose static folder holds ``site.css`` and
``app.3f9a2b1c.css``. The hosts serving what is recorded here are tested under real
nginx, Caddy and gunicorn in ``test_emit_hosts.py`` and Netlify's rules in
``test_emit_netlify.py``.
"""

from __future__ import annotations

import pytest
from test_build_support import assert_clean_failure
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import settings_for

from sitec.compiler.build import build
from sitec.compiler.fingerprint import DEFAULT_PATTERN
from sitec.compiler.fingerprint import IMMUTABLE
from sitec.compiler.fingerprint import is_fingerprinted
from sitec.compiler.load import load_app


@pytest.mark.parametrize(
    ("url", "fingerprinted"),
    [
        ("/static/app.3f9a2b1c.css", True),  # webpack's [name].[contenthash]
        ("/static/gen/packed.0c2f9e41b7d3.js", True),  # Flask-Assets, Django: 12 digits
        ("/static/vendor.3f9a2b1c.min.js", True),
        ("/static/app%2E3f9a2b1c.css", True),  # as a link may spell it
        ("/static/app.css", False),
        ("/static/app.3f9a2b1.css", False),  # seven digits: too short to be a hash
        ("/static/report.20240101.pdf", False),  # a date, not a hash
        ("/static/app.3F9A2B1C.css", False),  # hashes are written in lowercase
        ("/static/3f9a2b1c.css", False),  # no name before it
        ("/static/app.3f9a2b1c", False),  # no extension after it
        ("/static/app.3f9a2b1c.css/", False),
    ],
)
def test_which_names_carry_a_fingerprint(url: str, fingerprinted: bool) -> None:
    assert is_fingerprinted(url, DEFAULT_PATTERN) is fingerprinted
    assert is_fingerprinted(url, "") is False


def _static_headers(settings) -> dict[str, dict[str, str]]:
    [static] = [r for r in manifest_of(settings.output)["routes"] if r["endpoint"] == "static"]
    return {entry["url"]: entry["headers"] for entry in static["urls"]}


def test_a_fingerprinted_static_file_is_recorded_with_a_year_of_immutable_caching(
    build_project,
) -> None:
    project = build_project("deploy_site")
    settings = settings_for(project)
    result = build(settings)
    assert result.committed, report_of(result)
    recorded = _static_headers(settings)
    client = load_app(settings).test_client()
    assert recorded["/static/app.3f9a2b1c.css"]["Cache-Control"] == IMMUTABLE
    # Every other header is the runtime's; site.css keeps the caching the app sends.
    for url, headers in recorded.items():
        answer = client.get(url)
        assert headers["Content-Type"] == answer.headers["Content-Type"], url
        if url != "/static/app.3f9a2b1c.css":
            assert headers.get("Cache-Control") == answer.headers.get("Cache-Control"), url
        answer.close()
    nginx_conf = (settings.output / "deploy/nginx.conf").read_text(encoding="utf-8")
    assert f'add_header Cache-Control "{IMMUTABLE}";' in nginx_conf


def test_the_pattern_is_a_setting_and_an_empty_one_turns_it_off(build_project) -> None:
    project = build_project("deploy_site")
    pyproject = project / "pyproject.toml"
    original = pyproject.read_text()
    static = project / "static"
    (static / "app-3f9a2b1c.css").write_text("body { margin: 0; }\n")

    pyproject.write_text(original + '\n[tool.sitec.deploy]\nfingerprint = "-[0-9a-f]{8}[.]"\n')
    settings = settings_for(project)
    assert build(settings).committed
    recorded = _static_headers(settings)
    assert recorded["/static/app-3f9a2b1c.css"]["Cache-Control"] == IMMUTABLE
    assert recorded["/static/app.3f9a2b1c.css"].get("Cache-Control") != IMMUTABLE

    pyproject.write_text(original + '\n[tool.sitec.deploy]\nfingerprint = ""\n')
    settings = settings_for(project)
    assert build(settings).committed
    recorded = _static_headers(settings)
    assert IMMUTABLE not in [headers.get("Cache-Control") for headers in recorded.values()]


def test_a_pattern_that_is_not_a_regex_is_a_clear_error(build_project, run_sitec) -> None:
    project = build_project("deploy_site")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.sitec.deploy]\nfingerprint = "[0-9"\n')
    process = run_sitec(["build"], project)
    line = assert_clean_failure(process, "deploy.fingerprint is not a regular expression")
    assert "pyproject.toml" in line
    assert not (project / "_site").exists()
