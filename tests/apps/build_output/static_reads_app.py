"""A blueprint whose after_request hook answers its static files per visitor."""

from flask import Blueprint
from flask import Flask
from flask import request

app = Flask(__name__)
shop = Blueprint("shop", __name__, static_folder="shop/shop_static", static_url_path="/shop/assets")


@shop.after_request
def theme_hint(response):
    response.headers["X-Theme"] = request.cookies.get("theme", "light")  # MARK static-read
    return response


app.register_blueprint(shop)


@app.get("/")
def index():
    return "<p>home</p>"
