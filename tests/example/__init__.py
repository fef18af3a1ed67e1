"""The example site's own tests: its build, its links, its dynamic half."""
