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
    g.agent = request.user_agent  # MARK agent
    g.agent_name = g.agent.string  # MARK agent_name
    g.notice = notify()  # MARK notice


def notify():
    flash("welcome")  # MARK flash
    return "notified"


@app.route("/known-proxy")
def known_proxy():
    return {"user": current_user.get_id()}  # MARK known_proxy


@app.route("/known-decorator")
@login_required  # MARK known_decorator
def known_decorator():
    return "members"


@app.route("/chained-g")
def chained_g():
    return {"agent": g.agent_name}  # MARK chained_g


@app.route("/plugin/<name>")
def plugin(name):
    return importlib.import_module(name).render()  # MARK import_module


@app.route("/remember")
def remember():
    session["seen"] = True  # MARK session_set
    return {"cart": session.pop("cart", None)}  # MARK session_pop


class Dashboard(View):
    def dispatch_request(self):
        return {"remote": request.remote_addr}  # MARK dashboard


app.add_url_rule("/dashboard", view_func=Dashboard.as_view("dashboard"))
app.add_url_rule("/generated", "generated", namespace["generated"])
