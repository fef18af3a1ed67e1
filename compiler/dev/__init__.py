"""``sitec serve``: the dev server, its processes, the watcher and live reload.

- :mod:`.serve`: the dev server, which ties the rest together;
- :mod:`.site`: the WSGI app it serves (the deploy bundle's file serving, then the app);
- :mod:`.proxy`: forwarding requests to the app process;
- :mod:`.appserver`: the app process, the site's dynamic half;
- :mod:`.session`: the build session process, which keeps the app loaded;
- :mod:`.watch`: the project watcher;
- :mod:`.livereload`: the event stream and the browser script;
- :mod:`.errors`: errors as the terminal and the browser show them;
- :mod:`.child`: a child process and the pipe it is driven through.
"""
