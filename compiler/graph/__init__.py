"""The build graph: what each page depended on, so the next build renders only what
a change touched.

- :mod:`.stamps`: what a build saw of one input path (size, mtime, content digest);
- :mod:`.inputs`: files read and folders listed outside any page's render (while the
  app is created, while URLs are discovered);
- :mod:`.template_files`: the files a template name stood for, and those that would
  take its place;
- :mod:`.code`: the code a page ran, as a fingerprint;
- :mod:`.record`: the record a build leaves in ``.sitec-cache/`` beside its output,
  and what changed since (read without importing the app);
- :mod:`.memory`: what a build reuses of the last one, and records for the next.
"""
