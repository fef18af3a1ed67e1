"""An app whose import of a package that is not installed fails."""

import sitec_test_uninstalled_markdown  # noqa: F401  MARK missing-import
from flask import Flask

app = Flask(__name__)
