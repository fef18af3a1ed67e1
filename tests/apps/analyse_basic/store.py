from flask import request


class Box:
    def fetch(self):
        return request.args.get("value")  # MARK fetch

    def describe(self):
        return "a box"


def make():
    return Box()
