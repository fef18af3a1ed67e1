"""Ten thousand rules over a few views: each rule is analysed, and decided alike."""

from flask import Blueprint
from flask import Flask
from flask import g
from flask import render_template
from flask import request

app = Flask(__name__)


@app.before_request
def load():
    g.user = request.cookies.get("user")


def make_view(number):
    def view(**values):
        return render_template("page.html", number=number)

    return view


for number in range(5000):
    app.add_url_rule(f"/page-{number}/<slug>/", f"page{number}", make_view(number))

for index in range(50):
    section = Blueprint(f"section{index}", __name__, url_prefix=f"/section-{index}")
    for number in range(100):
        section.add_url_rule(f"/item-{number}/", f"item{number}", make_view(number))
    app.register_blueprint(section)
