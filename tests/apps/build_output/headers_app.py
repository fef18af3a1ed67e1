"""Headers the runtime adds to static files: caching per folder and per file, and the
security headers an after_request hook puts on every response."""

from flask import Blueprint
from flask import Flask
from flask import request


class Shop(Blueprint):
    def get_send_file_max_age(self, filename):
        return 31536000 if filename and filename.endswith(".svg") else 60


app = Flask(__name__)  # its static/ keeps the default: no-cache
app.register_blueprint(
    Shop("shop", __name__, static_folder="shop/shop_static", static_url_path="/shop/assets")
)


@app.after_request
def security_headers(response):
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Strict-Transport-Security"] = "max-age=63072000"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.path.endswith(".css"):
        response.headers["Link"] = "</shop/assets/img/logo.svg>; rel=preload; as=image"
    return response


@app.get("/")
def index():
    return "<p>home</p>"
