"""Jinja templates the compiler generates code and configuration from."""
