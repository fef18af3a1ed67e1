"""Calls the analysis cannot resolve (``obj.method()``) that lead back where they came
from: a store that asks its sources to fetch, and a source that asks a store to load."""

from flask import Flask
from flask import request

app = Flask(__name__)


class Store:
    def __init__(self, source):
        self.source = source

    def load(self):
        return self.source.fetch()


class Mirror:
    def __init__(self):
        self.store = None

    def fetch(self):
        return self.store.load()  # back to a Store: a cycle of possible calls


class Preferences:
    def fetch(self):
        return request.cookies.get("theme", "light")


class Constants:
    def measure(self):
        return self.size()

    def size(self):
        return self.measure()  # a cycle that reads nothing


STORE = Store(Preferences())


@app.route("/through-store")
def through_store():
    return STORE.load()


@app.route("/through-mirror")
def through_mirror():
    return Mirror().fetch()


@app.route("/constant")
def constant():
    return str(Constants().measure())
