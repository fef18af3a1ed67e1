"""A blueprint with its own static folder."""

from flask import Blueprint
from flask import render_template

shop = Blueprint(
    "shop",
    __name__,
    url_prefix="/shop",
    static_folder="shop/shop_static",
    static_url_path="/assets",
)


@shop.get("/")
def front():
    return render_template("shop.html")


@shop.get("/items/<name>/")
def item(name):
    return f"<p>{name}</p>"
