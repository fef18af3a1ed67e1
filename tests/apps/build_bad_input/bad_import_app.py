"""An app whose import fails."""

from flask import Flask

app = Flask(__name__)
SETTINGS = load_settings()  # MARK import-error  # noqa: F821
