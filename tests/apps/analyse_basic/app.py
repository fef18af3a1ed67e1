"""A small app whose routes cover the direct cases of the analysis."""

import flask
import store
from flask import Flask
from flask import render_template
from flask import render_template_string
from flask import request
from flask import request as rq
from flask import url_for
from lib import current_theme

from sitec.compiler.hints import dynamic_page
from sitec.compiler.hints import static_page

app = Flask(__name__)
app.config.update(SITEC_ROUTES={"configured": "dynamic"}, SECRET_KEY="analyse basic")
PAGE_TEMPLATE = "page.html"


@app.route("/")
def index():
    return render_template("index.html", here=request.path)


@app.route("/posts/<slug>/")
def post(slug):
    return render_template(PAGE_TEMPLATE, title=slug, next=url_for("post", slug="second"))


@app.route("/search")
def search():
    return {"q": request.args.get("q")}  # L:search


@app.post("/contact")
def contact():  # L:contact
    return "thanks"


@app.route("/feedback", methods=["GET", "POST"])
def feedback():
    if request.method == "POST":
        return {"sent": request.form["text"]}  # L:feedback
    return render_template("page.html", title="feedback")


@app.route("/themed")
def themed():
    return {"theme": current_theme()}


@app.route("/alias")
def alias():
    return {"agent": rq.headers.get("User-Agent")}  # L:alias


@app.route("/module-attr")
def module_attr():
    return {"user": flask.session.get("user")}  # L:module_attr


@app.route("/evaluated")
def evaluated():
    return str(eval("1 + 1"))  # L:eval


@app.route("/computed-attribute")
def computed_attribute():
    name = "args"
    return str(getattr(request, name))  # L:getattr


@app.route("/maybe")
def maybe():
    box = store.make()
    return {"value": box.fetch()}  # L:maybe


@app.route("/pure-method")
def pure_method():
    box = store.make()
    return {"value": box.describe()}


@app.route("/flashes")
def flashes():
    return render_template("flash_page.html")


@app.route("/macros")
def macros():
    return render_template("macro_page.html")


@app.route("/inline")
def inline():
    return render_template_string("{{ request.cookies.get('x') }}")  # L:inline


@app.route("/forced-static")
@static_page(reason="the query string only tags analytics")  # L:forced_static
def forced_static():
    return {"tag": request.args.get("utm")}


@app.route("/forced-dynamic")
@dynamic_page(reason="shows live stock")  # L:forced_dynamic
def forced_dynamic():
    return "stock"


@app.route("/configured")
def configured():
    return "configured"


@app.route("/computed-template/<kind>")
def computed_template(kind):
    return render_template(f"kinds/{kind}.html")


app.add_url_rule("/lambda", "lam", lambda: "a lambda")
app.add_url_rule("/builtin", "builtin", view_func=str)
