def about_text():
    return "This site is built again only where it changed."


def shout(text):
    return text.upper()


def post_title(path):
    return path.read_text(encoding="utf-8").splitlines()[0]
