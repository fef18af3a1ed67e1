"""app.config: its loaders, namespaces, defaults and the attributes mirroring it."""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from sitec.runtime import Config
from sitec.runtime import Flask
from sitec.runtime.config import ConfigAttribute


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return Flask(__name__, root_path=str(tmp_path))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without any FLASK_* or SITECT_* variables."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "SITECT_")):
            monkeypatch.delenv(name)
    return monkeypatch


class BaseSettings:
    DATABASE = "sqlite://"
    POOL = 5
    lowercase_is_ignored = True
    Mixed_Case = "ignored too"


class ProductionSettings(BaseSettings):
    POOL = 20
    SECRET_KEY = "prod"


def test_from_object_with_a_class_takes_inherited_uppercase(app: Flask) -> None:
    app.config.from_object(ProductionSettings)
    assert app.config["DATABASE"] == "sqlite://"
    assert app.config["POOL"] == 20
    assert app.secret_key == "prod"
    assert "lowercase_is_ignored" not in app.config
    assert "Mixed_Case" not in app.config


def test_from_object_with_an_instance(app: Flask) -> None:
    settings = BaseSettings()
    settings.POOL = 9  # type: ignore[misc]
    app.config.from_object(settings)
    assert app.config["POOL"] == 9


def test_from_object_with_an_import_string(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"sitec_settings_{uuid.uuid4().hex}"
    (tmp_path / f"{module}.py").write_text(
        "import os\nHOST = 'db.internal'\nPORT = 5432\nhelper = 'skip'\n"
        "class Staging:\n    HOST = 'staging.internal'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    app.config.from_object(module)
    assert (app.config["HOST"], app.config["PORT"]) == ("db.internal", 5432)
    assert "helper" not in app.config and "os" not in app.config

    app.config.from_object(f"{module}.Staging")
    assert app.config["HOST"] == "staging.internal"
    assert app.config["PORT"] == 5432

    with pytest.raises(ImportError):
        app.config.from_object(f"{module}_missing")


def test_from_pyfile(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "settings.cfg").write_text(
        textwrap.dedent(
            """\
            # -*- coding: utf-8 -*-
            from datetime import timedelta
            GREETING = "grüß dich"
            LIFETIME = timedelta(minutes=3)
            COMPUTED = len(GREETING) * 2
            scratch = 1
            """
        ),
        encoding="utf-8",
    )
    assert app.config.from_pyfile("settings.cfg") is True
    assert app.config["GREETING"] == "grüß dich"
    assert app.config["LIFETIME"] == timedelta(minutes=3)
    assert app.config["COMPUTED"] == 18
    assert "scratch" not in app.config
    # An absolute path works as well.
    other = Config("/nonexistent-root")
    assert other.from_pyfile(tmp_path / "settings.cfg")
    assert other["COMPUTED"] == 18


def test_from_pyfile_missing(app: Flask, tmp_path: Path) -> None:
    assert app.config.from_pyfile("absent.cfg", silent=True) is False
    assert app.config.from_pyfile(str(tmp_path), silent=True) is False  # a directory

    with pytest.raises(FileNotFoundError) as info:
        app.config.from_pyfile("absent.cfg")
    message = str(info.value)
    assert "Unable to load configuration file" in message
    assert "absent.cfg" in message
    assert info.value.errno is not None


def test_from_pyfile_errors_in_the_file_propagate(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "broken.cfg").write_text("VALUE = 1 / 0\n")
    with pytest.raises(ZeroDivisionError):
        app.config.from_pyfile("broken.cfg", silent=True)
    (tmp_path / "syntax.cfg").write_text("VALUE = (\n")
    with pytest.raises(SyntaxError):
        app.config.from_pyfile("syntax.cfg")


def test_from_envvar(app: Flask, tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="SITECT_SETTINGS"):
        app.config.from_envvar("SITECT_SETTINGS")
    assert app.config.from_envvar("SITECT_SETTINGS", silent=True) is False

    path = tmp_path / "from_env.py"
    path.write_text("FROM_ENV = 'yes'\n")
    clean_env.setenv("SITECT_SETTINGS", str(path))
    assert app.config.from_envvar("SITECT_SETTINGS") is True
    assert app.config["FROM_ENV"] == "yes"

    clean_env.setenv("SITECT_SETTINGS", str(tmp_path / "gone.py"))
    assert app.config.from_envvar("SITECT_SETTINGS", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        app.config.from_envvar("SITECT_SETTINGS")


def test_from_prefixed_env(app: Flask, clean_env: pytest.MonkeyPatch) -> None:
    values = {
        "FLASK_SECRET_KEY": "not json at all",
        "FLASK_PORT": "8080",
        "FLASK_RATIO": "0.25",
        "FLASK_ENABLED": "true",
        "FLASK_NOTHING": "null",
        "FLASK_HOSTS": '["a", "b"]',
        "FLASK_LIMITS": '{"burst": 3}',
        "FLASK_QUOTED": '"7"',
        "SITECT_IGNORED": "1",
        "FLASKLESS": "1",
    }
    for name, value in values.items():
        clean_env.setenv(name, value)

    assert app.config.from_prefixed_env() is True
    assert app.secret_key == "not json at all"
    assert app.config["PORT"] == 8080
    assert app.config["RATIO"] == 0.25
    assert app.config["ENABLED"] is True
    assert app.config["NOTHING"] is None
    assert app.config["HOSTS"] == ["a", "b"]
    assert app.config["LIMITS"] == {"burst": 3}
    assert app.config["QUOTED"] == "7"
    assert "IGNORED" not in app.config and "LESS" not in app.config


def test_from_prefixed_env_nesting(app: Flask, clean_env: pytest.MonkeyPatch) -> None:
    app.config["DB"] = {"HOST": "localhost", "PORT": 5432}
    clean_env.setenv("SITECT_DB__PORT", "6543")
    clean_env.setenv("SITECT_DB__USER", "admin")
    clean_env.setenv("SITECT_CACHE__REDIS__URL", '"redis://cache"')
    clean_env.setenv("SITECT_FLAT", "x")

    app.config.from_prefixed_env("SITECT")
    assert app.config["DB"] == {"HOST": "localhost", "PORT": 6543, "USER": "admin"}
    assert app.config["CACHE"] == {"REDIS": {"URL": "redis://cache"}}
    assert app.config["FLAT"] == "x"


def test_from_prefixed_env_custom_loads(app: Flask, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SITECT_WORDS", "a,b,c")
    clean_env.setenv("SITECT_BAD", "boom")

    def loads(value: str) -> list[str]:
        if value == "boom":
            raise ValueError(value)
        return value.split(",")

    app.config.from_prefixed_env(prefix="SITECT", loads=loads)
    assert app.config["WORDS"] == ["a", "b", "c"]
    assert app.config["BAD"] == "boom"  # a loads failure keeps the raw string


def test_from_file_json_and_toml(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"TITLE": "Café", "WORKERS": 4, "lower": 1}), encoding="utf-8"
    )
    (tmp_path / "config.toml").write_text(
        'TITLE = "From TOML"\nRETRIES = 3\n[MAIL]\nHOST = "smtp.test"\n', encoding="utf-8"
    )

    assert app.config.from_file("config.json", load=json.load) is True
    assert (app.config["TITLE"], app.config["WORKERS"]) == ("Café", 4)
    assert "lower" not in app.config

    assert app.config.from_file("config.toml", load=tomllib.load, text=False) is True
    assert app.config["TITLE"] == "From TOML"
    assert app.config["MAIL"] == {"HOST": "smtp.test"}
    assert app.config["WORKERS"] == 4


def test_from_file_errors(app: Flask, tmp_path: Path) -> None:
    assert app.config.from_file("none.json", load=json.load, silent=True) is False
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        app.config.from_file("none.json", load=json.load)
    # tomllib needs a binary file: text mode is its error, not ours.
    (tmp_path / "c.toml").write_text("A = 1\n")
    with pytest.raises(TypeError):
        app.config.from_file("c.toml", load=tomllib.load)
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(json.JSONDecodeError):
        app.config.from_file("bad.json", load=json.load, silent=True)


def test_from_mapping(app: Flask) -> None:
    assert app.config.from_mapping({"ALPHA": 1, "beta": 2}, GAMMA=3, delta=4) is True
    assert app.config["ALPHA"] == 1 and app.config["GAMMA"] == 3
    assert "beta" not in app.config and "delta" not in app.config
    app.config.from_mapping(None, ALPHA=10)
    assert app.config["ALPHA"] == 10
    app.config.from_mapping({"ALPHA": 1}, ALPHA=2)  # keyword arguments win
    assert app.config["ALPHA"] == 2


def test_get_namespace(app: Flask) -> None:
    app.config.from_mapping(
        MAIL_SERVER="smtp.test", MAIL_PORT=25, MAIL_USE_TLS=True, MAILBOX="x", OTHER_KEY=1
    )
    assert app.config.get_namespace("MAIL_") == {
        "server": "smtp.test",
        "port": 25,
        "use_tls": True,
    }
    assert app.config.get_namespace("MAIL_", lowercase=False) == {
        "SERVER": "smtp.test",
        "PORT": 25,
        "USE_TLS": True,
    }
    assert app.config.get_namespace("MAIL_", trim_namespace=False) == {
        "mail_server": "smtp.test",
        "mail_port": 25,
        "mail_use_tls": True,
    }
    assert app.config.get_namespace("MAIL") == {
        "_server": "smtp.test",
        "_port": 25,
        "_use_tls": True,
        "box": "x",
    }
    assert app.config.get_namespace("NOPE_") == {}


def test_default_keys(clean_env: pytest.MonkeyPatch) -> None:
    config = Flask(__name__).config
    expected = {
        "DEBUG": False,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": None,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
    }
    assert dict(config) == expected


def test_debug_default_follows_flask_debug(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FLASK_DEBUG", "1")
    assert Flask(__name__).debug is True
    clean_env.setenv("FLASK_DEBUG", "0")
    assert Flask(__name__).debug is False


def test_configs_are_per_app() -> None:
    first, second = Flask("first"), Flask("second")
    first.config["SHARED"] = "no"
    first.config["SESSION_COOKIE_NAME"] = "first"
    assert "SHARED" not in second.config
    assert second.config["SESSION_COOKIE_NAME"] == "session"
    assert Flask.default_config["SESSION_COOKIE_NAME"] == "session"


def test_instance_relative_config(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "local.cfg").write_text("WHERE = 'instance'\n")
    (tmp_path / "local.cfg").write_text("WHERE = 'root'\n")

    relative = Flask(
        __name__,
        root_path=str(tmp_path),
        instance_path=str(instance),
        instance_relative_config=True,
    )
    assert relative.config.root_path == str(instance)
    relative.config.from_pyfile("local.cfg")
    assert relative.config["WHERE"] == "instance"

    plain = Flask(__name__, root_path=str(tmp_path), instance_path=str(instance))
    assert plain.config.root_path == str(tmp_path)
    plain.config.from_pyfile("local.cfg")
    assert plain.config["WHERE"] == "root"


def test_instance_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="absolute"):
        Flask(__name__, instance_path="relative/instance")


def test_config_attributes_on_the_app(app: Flask) -> None:
    assert app.testing is False
    app.testing = True
    assert app.config["TESTING"] is True
    app.config["TESTING"] = False
    assert app.testing is False

    app.secret_key = "s3cret"
    assert app.config["SECRET_KEY"] == "s3cret"
    app.config["SECRET_KEY"] = b"bytes key"
    assert app.secret_key == b"bytes key"

    app.permanent_session_lifetime = timedelta(hours=1)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)
    app.config["PERMANENT_SESSION_LIFETIME"] = 120
    assert app.permanent_session_lifetime == timedelta(minutes=2)

    app.debug = True
    assert app.config["DEBUG"] is True


def test_custom_config_attribute() -> None:
    class App(Flask):
        workers = ConfigAttribute[int]("WORKERS", get_converter=int)
        region = ConfigAttribute[str]("REGION")

    app = App(__name__)
    assert isinstance(App.workers, ConfigAttribute)
    app.config["WORKERS"] = "8"
    assert app.workers == 8
    app.region = "eu-west"
    assert app.config["REGION"] == "eu-west"
    del app.config["REGION"]
    with pytest.raises(KeyError):
        _ = app.region


def test_config_subclass_and_repr(tmp_path: Path) -> None:
    class AuditedConfig(Config):
        def from_mapping(self, mapping=None, **kwargs):  # type: ignore[no-untyped-def]
            self.setdefault("LOADS", 0)
            self["LOADS"] += 1
            return super().from_mapping(mapping, **kwargs)

    class App(Flask):
        config_class = AuditedConfig

    app = App(__name__, root_path=str(tmp_path))
    assert isinstance(app.config, AuditedConfig)
    assert app.config["SESSION_COOKIE_NAME"] == "session"  # defaults still applied
    app.config.from_mapping(NAME="x")
    assert (app.config["NAME"], app.config["LOADS"]) == ("x", 1)
    config = Config(str(tmp_path), {"A": 1})
    assert repr(config) == "<Config {'A': 1}>"
    assert config.root_path == str(tmp_path)
