"""Edge cases: known third-party readers, g chains, side effects, blind spots."""

import importlib

from flask import Flask
from flask import flash
from flask import g
from flask import request
from flask import session
from flask.views import View
from flask_login import current_user
from flask_login import login_required

app = Flask(__name__)
namespace = {}
exec("def generated():\n    return 'made by exec'\n", namespace)


@app.before_request
def prepare():
    g.agent = request.user_agent  # L:agent
    g.agent_name = g.agent.string  # L:agent_name
    g.notice = notify()  # L:notice


def notify():
    flash("welcome")  # L:flash
    return "notified"


@app.route("/known-proxy")
def known_proxy():
    return {"user": current_user.get_id()}  # L:known_proxy


@app.route("/known-decorator")
@login_required  # L:known_decorator
def known_decorator():
    return "members"


@app.route("/chained-g")
def chained_g():
    return {"agent": g.agent_name}  # L:chained_g


@app.route("/plugin/<name>")
def plugin(name):
    return importlib.import_module(name).render()  # L:import_module


@app.route("/remember")
def remember():
    session["seen"] = True  # L:session_set
    return {"cart": session.pop("cart", None)}  # L:session_pop


class Dashboard(View):
    def dispatch_request(self):
        return {"remote": request.remote_addr}  # L:dashboard


app.add_url_rule("/dashboard", view_func=Dashboard.as_view("dashboard"))
app.add_url_rule("/generated", "generated", namespace["generated"])
