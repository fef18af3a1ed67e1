"""Pages that read request-bound state in every way the observer must see, and pages that do not."""

import os

from flask import Flask
from flask import g
from flask import get_flashed_messages
from flask import redirect
from flask import render_template
from flask import request
from flask import send_from_directory
from flask import session
from flask import url_for

app = Flask(__name__)
app.secret_key = "render tests"
HERE = os.path.dirname(os.path.abspath(__file__))


def current_theme():
    return request.cookies.get("theme", "light")  # MARK helper cookies


@app.before_request
def load_user():
    if request.endpoint == "hook":
        g.user = session.get("user")  # MARK hook session


@app.context_processor
def inject_theme():
    if request.endpoint == "processor":
        return {"theme": current_theme()}
    return {}


@app.get("/")
def index():
    return render_template("clean.html", page=request.path)


@app.get("/view/")
def view():
    query = request.args.get("q", "")  # MARK view args
    return f"<p>{query}</p>"


@app.get("/headers/")
def headers():
    agent = request.headers.get("User-Agent")  # MARK view headers
    return f"<p>{agent}</p>"


@app.get("/hook/")
def hook():
    return f"<p>{g.user}</p>"  # MARK g


@app.get("/template/")
def template():
    return render_template("reads.html")


@app.get("/macro/")
def macro():
    return render_template("uses_macro.html")


@app.get("/processor/")
def processor():
    return render_template("clean.html", page="processor")


@app.get("/flashes/")
def flashes():
    messages = get_flashed_messages()  # MARK view flashes
    return ", ".join(messages)


@app.get("/url-only/<slug>/")
def url_only(slug):
    return {
        "path": request.path,
        "args": request.view_args,
        "endpoint": request.endpoint,
        "root": request.url_root,
        "self": url_for("url_only", slug=slug),
    }


@app.get("/files/")
def files():
    with app.open_resource("data/one.txt") as one:
        first = one.read().decode()
    with open(os.path.join(HERE, "data", "two.txt")) as two:
        second = two.read()
    return first + second


@app.get("/download/")
def download():
    return send_from_directory(os.path.join(HERE, "data"), "one.txt")


@app.get("/moved/")
def moved():
    return redirect(url_for("index"))


@app.get("/broken/")
def broken():
    raise RuntimeError("this page is broken")  # MARK broken


@app.get("/crash/")
def crash():
    os._exit(7)


@app.before_request
def load_visitor():
    if request.endpoint in ("g_user", "g_plain"):
        g.visitor = session.get("visitor")
        g.site_name = "render tests"


@app.get("/g-user/")
def g_user():
    return f"<p>{g.get('visitor')}</p>"  # MARK view g


@app.get("/g-plain/")
def g_plain():
    return render_template("g.html")
