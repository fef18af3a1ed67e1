"""The ``sitec`` command line.

It is the runtime's ``FlaskGroup`` under another name, so ``sitec run``,
``sitec shell``, ``sitec routes`` and the app's own commands work as they do
under ``flask``; ``sitec build`` and ``sitec explain`` are the compiler's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from sitec.runtime import install_flask_alias
from sitec.runtime.cli import FlaskGroup
from sitec.runtime.cli import ScriptInfo

from .load import AppLoadError
from .output import OutputError
from .project import BuildSettings
from .project import SettingsError
from .project import find_pyproject
from .project import load_settings

#: Errors that are the user's to fix: one message, no traceback, exit 1.
USER_ERRORS = (SettingsError, AppLoadError, OutputError)


def _settings(app: str | None, **flags: object) -> BuildSettings:
    if app is None:
        info = click.get_current_context().find_object(ScriptInfo)
        app = info.app_import_path if info is not None else None
    try:
        return load_settings(Path.cwd(), app=app, **flags)  # type: ignore[arg-type]
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
        click.echo(f"nothing changed since the last build -> {settings.output}")
        return

    from .build import build
    from .report import print_build

    progress = _progress_printer() if sys.stderr.isatty() else None
    try:
        result = build(settings, progress=progress, memory=memory)
    except USER_ERRORS as e:
        raise click.ClickException(str(e)) from None
    finally:
        if progress is not None:
            click.echo("\r\033[K", nl=False, err=True)
    print_build(result, click.echo, explain=explain)
    if not result.committed:
        sys.exit(1)


def _progress_printer():  # type: ignore[no-untyped-def]
    def show(count: int) -> None:
        if count % 25 == 0:
            click.echo(f"\rrendered {count} pages", nl=False, err=True)

    return show


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

    settings = _settings(app_path, output=output)
    DevServer(settings, host=host, port=port, watch=watch).run()


@click.command("explain")
@click.argument("target", required=False)
@click.option("--app", "app_path", help="The app, as for flask --app (default: [tool.sitec] app).")
def explain_command(target: str | None, app_path: str | None) -> None:
    """Show which routes are static or dynamic, and why, without building.

    TARGET narrows it to one endpoint or one URL path.
    """
    from .analyse import analyse_app
    from .load import load_app
    from .report import explain_routes

    settings = _settings(app_path)
    try:
        app = load_app(settings)
    except USER_ERRORS as e:
        raise click.ClickException(str(e)) from None
    app.config["SITEC_ROUTES"] = dict(settings.routes)
    routes = analyse_app(app, settings.project_root).routes
    if target is not None:
        routes = [r for r in routes if target in (r.endpoint, r.rule) or _matches(app, target, r)]
        if not routes:
            raise click.ClickException(f"No route has the endpoint or URL {target!r}.")
    explain_routes(routes, click.echo)


def _matches(app, url: str, route) -> bool:  # type: ignore[no-untyped-def]
    if not url.startswith("/"):
        return False
    try:
        rule, _ = app.url_map.bind("localhost").match(url, method="GET", return_rule=True)
    except Exception:
        return False
    return (rule.endpoint, rule.rule) == (route.endpoint, route.rule)


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
