"""install_flask_alias(), always exercised in a fresh subprocess so this process stays clean."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import sitec.runtime

# The folder that holds the ``sitec`` package, for the child's import path.
IMPORT_ROOT = str(Path(sitec.runtime.__file__).parents[2])


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (IMPORT_ROOT, env.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("OK"), result.stdout


def test_importing_the_runtime_does_not_install_the_alias() -> None:
    assert_ok(
        run_python(
            """
            import sys
            import sitec.runtime
            from sitec.runtime import Flask
            assert "flask" not in sys.modules
            assert not any(name.startswith("flask.") for name in sys.modules)
            print("OK")
            """
        )
    )


def test_alias_gives_the_very_same_objects() -> None:
    assert_ok(
        run_python(
            """
            import importlib
            import sys

            import sitec.runtime
            from sitec.runtime.alias import SUBMODULES

            sitec.runtime.install_flask_alias()

            import flask
            import flask.json.provider
            from flask import Flask, request, session, jsonify
            from flask.json.tag import TaggedJSONSerializer
            from flask.sessions import SecureCookieSessionInterface
            from flask.globals import _cv_request

            assert flask is sitec.runtime
            assert flask.json.provider is sitec.runtime.json.provider
            assert flask.json.provider.DefaultJSONProvider is (
                sitec.runtime.json.provider.DefaultJSONProvider
            )
            assert Flask is sitec.runtime.Flask
            assert request is sitec.runtime.request and session is sitec.runtime.session
            assert jsonify is sitec.runtime.jsonify
            assert TaggedJSONSerializer is sitec.runtime.json.tag.TaggedJSONSerializer
            assert SecureCookieSessionInterface is (
                sitec.runtime.sessions.SecureCookieSessionInterface
            )
            assert _cv_request is sitec.runtime.globals._cv_request
            for name in SUBMODULES:
                assert sys.modules["flask." + name] is sys.modules["sitec.runtime." + name], name
                assert importlib.import_module("flask." + name) is (
                    importlib.import_module("sitec.runtime." + name)
                ), name

            # An app written against "flask" runs on the runtime.
            app = Flask("aliased")

            @app.route("/")
            def index():
                return jsonify(module=type(request._get_current_object()).__module__)

            body = app.test_client().get("/").get_json()
            assert body == {"module": "sitec.runtime.wrappers"}, body
            print("OK")
            """
        )
    )


def test_calling_it_twice_is_fine() -> None:
    assert_ok(
        run_python(
            """
            import sys
            from sitec.runtime import install_flask_alias

            install_flask_alias()
            import flask
            import flask.views
            first = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "flask"}
            install_flask_alias()
            second = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "flask"}
            assert first.keys() == second.keys()
            assert all(first[k] is second[k] for k in first)
            import flask as again
            assert again is flask and flask.views is sys.modules["sitec.runtime.views"]
            print("OK")
            """
        )
    )


def test_real_flask_imported_first_is_refused() -> None:
    result = run_python(
        """
        import sys
        import types

        impostor = types.ModuleType("flask")
        impostor.__file__ = "/site-packages/flask/__init__.py"
        sys.modules["flask"] = impostor

        from sitec.runtime import install_flask_alias

        try:
            install_flask_alias()
        except RuntimeError as e:
            print("refused:", e)
        else:
            raise SystemExit("the alias was installed over an imported flask")

        # Nothing was half-installed.
        assert sys.modules["flask"] is impostor
        assert not any(name.startswith("flask.") for name in sys.modules)
        import importlib.metadata
        try:
            importlib.metadata.version("flask")
        except importlib.metadata.PackageNotFoundError:
            pass
        else:
            raise SystemExit("the flask distribution was installed without the alias")
        print("OK")
        """
    )
    assert_ok(result)
    message = result.stdout.split("refused:", 1)[1]
    assert "before" in message
    assert "install_flask_alias()" in message


def test_an_extension_written_against_flask_sansio_runs() -> None:
    """Extensions import base classes and decorator types from ``flask.sansio``:
    those must be the runtime's own, so their checks and decorators work."""
    assert_ok(
        run_python(
            """
            import sitec.runtime
            sitec.runtime.install_flask_alias()

            import typing as t
            from flask import Blueprint, Flask, jsonify
            from flask.sansio.app import App
            from flask.sansio.blueprints import Blueprint as BaseBlueprint
            from flask.sansio.scaffold import Scaffold, T_route, setupmethod
            from flask.sessions import SecureCookieSessionInterface, session_json_serializer

            class Pydantic:  # what a validating extension does with these names
                def __init__(self, target: Scaffold) -> None:
                    if not isinstance(target, (App, BaseBlueprint)):
                        raise TypeError("an app or a blueprint")
                    self.target = target

                def route(self, rule: str) -> t.Callable[[T_route], T_route]:
                    def decorator(f: T_route) -> T_route:
                        self.target.add_url_rule(rule, view_func=lambda: jsonify(f()))
                        return f
                    return decorator

            app = Flask("ext")
            blueprint = Blueprint("bp", "ext")
            Pydantic(blueprint).route("/b")(lambda: {"from": "blueprint"})
            app.register_blueprint(blueprint)
            Pydantic(app).route("/a")(lambda: {"from": "app"})
            try:
                Pydantic(object())
            except TypeError:
                pass
            else:
                raise AssertionError("a non-app passed the isinstance check")

            client = app.test_client()
            assert client.get("/a").json == {"from": "app"}
            assert client.get("/b").json == {"from": "blueprint"}
            assert issubclass(Flask, Scaffold) and issubclass(Blueprint, Scaffold)
            assert setupmethod(lambda self: None).__name__ == "<lambda>"
            assert SecureCookieSessionInterface.serializer is session_json_serializer
            tagged = session_json_serializer.dumps({"b": b"\\x00"})
            assert session_json_serializer.loads(tagged) == {"b": b"\\x00"}
            print("OK")
            """
        )
    )


def test_flask_distribution_exists_only_while_the_alias_is_installed() -> None:
    assert_ok(
        run_python(
            """
            import importlib.metadata as metadata
            import sys

            import sitec.runtime

            def missing(name):
                try:
                    metadata.version(name)
                except metadata.PackageNotFoundError:
                    return True
                return False

            finders = list(sys.meta_path)
            assert missing("flask")  # importing the runtime changes nothing

            sitec.runtime.install_flask_alias()
            for name in ("flask", "Flask", "FLASK"):
                assert metadata.version(name) == sitec.runtime.FLASK_API_VERSION, name
            dist = metadata.distribution("flask")
            assert dist.name == "Flask"
            assert "sitec.runtime" in dist.metadata["Summary"]
            assert "not the Flask project's distribution" in dist.metadata["Summary"]
            assert metadata.packages_distributions()["flask"] == ["Flask"]
            assert missing("flask-sqlalchemy") and missing("flasky")
            from flask import Flask

            sitec.runtime.uninstall_flask_alias()
            assert missing("flask")
            assert sys.meta_path == finders
            assert not any(name.split(".")[0] == "flask" for name in sys.modules)
            try:
                import flask
            except ModuleNotFoundError:
                pass
            else:
                raise SystemExit("import flask still works after uninstalling")
            assert Flask is sitec.runtime.Flask  # names already imported stay
            sitec.runtime.uninstall_flask_alias()  # a second time does nothing
            print("OK")
            """
        )
    )


def test_an_installed_flask_distribution_is_answered_for_while_aliased(tmp_path: Path) -> None:
    # A real Flask distribution on the path, as pip would leave it.
    info = tmp_path / "flask-2.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Flask\nVersion: 2.0.0\n")
    assert_ok(
        run_python(
            f"""
            import importlib.metadata as metadata
            import sys

            sys.path.insert(0, {str(tmp_path)!r})
            import sitec.runtime

            assert metadata.version("flask") == "2.0.0"
            sitec.runtime.install_flask_alias()
            # What "import flask" runs is the runtime, and the version says so.
            assert metadata.version("flask") == sitec.runtime.FLASK_API_VERSION
            # A search of given folders finds what is in them.
            found = metadata.distributions(path=[{str(tmp_path)!r}])
            assert [(d.name, d.version) for d in found] == [("Flask", "2.0.0")]
            sitec.runtime.uninstall_flask_alias()
            assert metadata.version("flask") == "2.0.0"
            print("OK")
            """
        )
    )


VERSIONED_APP = """
    import importlib.metadata

    from flask import Flask

    # Read at import, as apps do to pick code paths for Flask 1 or 2+.
    FLASK_VERSION = importlib.metadata.version("flask")
    if int(FLASK_VERSION.split(".")[0]) < 2:
        raise RuntimeError("this app needs Flask 2 or later")

    app = Flask(__name__)


    @app.route("/")
    def index():
        return FLASK_VERSION


    @app.cli.command("flask-version")
    def flask_version():
        print(f"running on Flask {FLASK_VERSION}")
"""


def test_the_sitec_command_loads_an_app_that_reads_the_flask_version(
    tmp_path: Path, sitec_script: Path
) -> None:
    (tmp_path / "versioned.py").write_text(textwrap.dedent(VERSIONED_APP))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}

    def run_sitec(*args: str) -> str:
        result = subprocess.run(
            [str(sitec_script), "--app", "versioned", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    version = sitec.runtime.FLASK_API_VERSION
    assert run_sitec("flask-version") == f"running on Flask {version}\n"
    assert "index" in run_sitec("routes")
    assert f"Flask {version} (the API of sitec.runtime" in run_sitec("--version")
