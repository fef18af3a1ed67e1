"""Three pages that read one data file, which does not parse."""

import json
from pathlib import Path

from flask import Flask

app = Flask(__name__)


def load_posts():
    text = (Path(__file__).parent / "data/posts.json").read_text()
    return json.loads(text)  # MARK parse-data


@app.get("/")
def index():
    return "<a href='/posts/'>posts</a> <a href='/feed.txt'>feed</a>" + str(len(load_posts()))


@app.get("/posts/")
def archive():
    return ", ".join(load_posts())


@app.get("/feed.txt")
def feed():
    return "\n".join(load_posts().values()), {"Content-Type": "text/plain; charset=utf-8"}
