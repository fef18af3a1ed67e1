"""The ``sitec`` command line.

It is the runtime's ``FlaskGroup`` under another name, so ``sitec run``,
``sitec shell``, ``sitec routes`` and the app's own commands work as they do
under ``flask``; ``sitec build`` and ``sitec explain`` are the compiler's.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

import click
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from sitec.runtime import Flask
from sitec.runtime import install_flask_alias
from sitec.runtime.cli import FlaskGroup
from sitec.runtime.cli import ScriptInfo

from .load import AppLoadError
from .model import RouteAnalysis
from .output import OutputError
from .project import BuildSettings
from .project import SettingsError
from .project import check_route_overrides
from .project import find_pyproject
from .project import load_settings
from .project import shown_path

#: Errors that are the user's to fix: one message, no traceback, exit 1.
USER_ERRORS = (SettingsError, AppLoadError, OutputError)


def _app_path(app: str | None) -> str | None:
    """``--app`` of the command, else the group's (``sitec --app X build``)."""
    if app is None:
        info = click.get_current_context().find_object(ScriptInfo)
        app = info.app_import_path if info is not None else None
    return app


def _settings(app: str | None, **flags: object) -> BuildSettings:
    try:
        return load_settings(Path.cwd(), app=_app_path(app), **flags)  # type: ignore[arg-type]
    except SettingsError as e:
        raise click.ClickException(str(e)) from None


@click.command("build")
@click.option("--app", "app_path", help="The app, as for flask --app (default: [tool.sitec] app).")
@click.option("-o", "--output", help="Output folder (default: [tool.sitec] output, or _site).")
@click.option("--base-url", help="Path prefix ('/docs/') or full URL the site is served at.")
@click.option("--jobs", type=click.IntRange(min=0), help="Render workers; 0 means one per core.")
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Fail when a page read the request while rendering instead of making it dynamic.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Host config to write: nginx, caddy, netlify or all; repeat for several"
    " (default: [tool.sitec.deploy] targets, or all).",
)
@click.option("--explain", is_flag=True, help="Print every reason for every decision.")
@click.option(
    "--force",
    is_flag=True,
    help="Render every page, even those whose inputs did not change since the last build.",
)
def build_command(
    app_path: str | None,
    output: str | None,
    base_url: str | None,
    jobs: int | None,
    strict: bool | None,
    targets: tuple[str, ...],
    explain: bool,
    force: bool,
) -> None:
    """Pre-render the static pages; write the manifest and the deploy bundle.

    Only pages whose templates, data files or code changed since the last build are
    rendered again (the record is in .sitec-cache/ beside the output); when nothing
    changed, the app is not even imported.
    """
    from .graph.memory import BuildMemory

    settings = _settings(
        app_path, output=output, base_url=base_url, jobs=jobs, strict=strict, targets=targets
    )
    memory = BuildMemory(settings, reuse=not force)
    if memory.up_to_date() and not explain:
        click.echo(f"nothing changed since the last build -> {shown_path(settings.output)}")
        return

    from .build import build
    from .report import print_build

    try:
        with _progress_bar() as progress:
            result = build(settings, progress=progress, memory=memory)
    except USER_ERRORS as e:
        raise click.ClickException(str(e)) from None
    print_build(result, click.echo, explain=explain)
    # The process ends here: its last garbage collection would walk every object the
    # build left (a tenth of a second for 10,000 pages) to free memory the exit frees.
    gc.freeze()
    if not result.committed:
        sys.exit(1)


@contextlib.contextmanager
def _progress_bar() -> t.Iterator[t.Callable[[int, int], None] | None]:
    """A bar of the pages rendered so far, on a terminal; nothing otherwise.

    The total grows while rendering, as the crawl finds links.
    """
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(
        length=0, label="rendering pages", show_pos=True, file=sys.stderr
    ) as bar:

        def show(done: int, total: int) -> None:
            bar.length = total
            bar.finished = done >= total
            bar.update(done - bar.pos)

        yield show


@click.command("serve")
@click.option("--app", "app_path", help="The app, as for flask --app (default: [tool.sitec] app).")
@click.option("-o", "--output", help="Output folder (default: [tool.sitec] output, or _site).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--watch", is_flag=True, help="Rebuild what a saved file changed; reload the browser."
)
def serve_command(
    app_path: str | None, output: str | None, host: str, port: int, watch: bool
) -> None:
    """Serve the site as it will be deployed: the built files, and the app for the rest.

    Builds first if anything changed since the last build. Files are served with the
    rules of the generated host configs; every other request goes to the app, on the
    runtime. With --watch, saving a template, data file, static file, Python file or
    pyproject.toml rebuilds what it touched, and open pages reload by themselves.
    """
    from .dev.serve import DevServer

    app_path = _app_path(app_path)
    _settings(app_path, output=output)  # a broken pyproject.toml stops here, with its message
    cwd = Path.cwd()

    def settings() -> BuildSettings:
        """The settings now: a running dev server follows pyproject.toml's changes."""
        return load_settings(cwd, app=app_path, output=output)

    DevServer(settings, host=host, port=port, watch=watch).run()


@click.command("explain")
@click.argument("target", required=False)
@click.option("--app", "app_path", help="The app, as for flask --app (default: [tool.sitec] app).")
def explain_command(target: str | None, app_path: str | None) -> None:
    """Show which routes are static or dynamic, and why, without building.

    TARGET narrows it to one endpoint or one URL (a path or a full URL; a query string
    or fragment is left out). The analysis decides; when the output folder holds a
    build newer than the code, what that build found while rendering is shown too.
    """
    from .analyse import analyse_app
    from .lastbuild import last_build
    from .load import load_app
    from .report import explain_routes

    settings = _settings(app_path)
    try:
        app = load_app(settings)
        check_route_overrides(settings, app.view_functions)
    except USER_ERRORS as e:
        raise click.ClickException(str(e)) from None
    app.config["SITEC_ROUTES"] = dict(settings.routes)
    routes = analyse_app(app, settings.project_root).routes
    if target is not None:
        routes = _routes_of(app, settings, target, routes)
        if not routes:
            raise click.ClickException(f"No route has the endpoint or URL {target!r}.")
    build = last_build(settings, app)
    if build is None:
        click.echo(
            "From the analysis alone: sitec build also renders every static page and makes"
            " it dynamic if the render reads the request."
        )
    elif not build.fresh:
        click.echo(
            f"From the analysis alone: {build.describe()} is older than the code, so what"
            " it found while rendering is not shown; run sitec build again."
        )
    else:
        click.echo(f"From the analysis, and what {build.describe()} found while rendering.")
    explain_routes(routes, click.echo, built=build.routes if build and build.fresh else None)


def _routes_of(
    app: Flask, settings: BuildSettings, target: str, routes: list[RouteAnalysis]
) -> list[RouteAnalysis]:
    """The routes ``target`` names: an endpoint, a rule, or a URL one of them answers."""
    named = [r for r in routes if target in (r.endpoint, r.rule)]
    if named:
        return named
    path = urlsplit(target).path
    if not path.startswith("/"):
        return []
    prefix = settings.address.script_name
    paths = [path] + ([path[len(prefix) :] or "/"] if prefix and path.startswith(prefix) else [])
    adapter = app.url_map.bind(settings.address.host, url_scheme=settings.address.scheme)
    for candidate in paths:
        try:
            rule, _ = adapter.match(candidate, method="GET", return_rule=True)
        except RequestRedirect as redirect:
            return _routes_of(app, settings, redirect.new_url, routes)
        except HTTPException:
            continue
        return [r for r in routes if (r.endpoint, r.rule) == (rule.endpoint, rule.rule)]
    return []


def make_cli() -> FlaskGroup:
    """The ``sitec`` click group."""
    cli = FlaskGroup(
        name="sitec",
        help=(
            "Compile a Flask app into static files plus a dynamic WSGI half.\n\n"
            "Find the app with --app (module, module:name or module:factory()),"
            " [tool.sitec] app in pyproject.toml, the FLASK_APP variable, or a"
            " wsgi.py / app.py in the current folder."
        ),
    )
    cli.add_command(build_command)
    cli.add_command(serve_command)
    cli.add_command(explain_command)
    return cli


def _default_app_from_project() -> None:
    """Let ``sitec run``/``shell``/``routes`` find the app of ``[tool.sitec]`` too."""
    if "FLASK_APP" in os.environ:
        return
    try:
        pyproject = find_pyproject(Path.cwd())
        app = load_settings(pyproject.parent).app if pyproject is not None else None
    except SettingsError:
        return  # ``sitec build`` reports a broken pyproject.toml with its path
    if app and pyproject is not None:
        os.environ["FLASK_APP"] = app
        sys.path.insert(0, str(pyproject.parent))


def main() -> None:
    """Entry point of the ``sitec`` console script."""
    # The alias goes in before any user code is imported, so the app's
    # ``import flask`` gets this runtime.
    install_flask_alias()
    _default_app_from_project()
    make_cli().main()
