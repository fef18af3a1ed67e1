"""Flask's ``sansio`` names, for extensions that import them.

Flask 3.1 splits its application, blueprint and scaffold classes into a base
without I/O (``flask.sansio``) and the WSGI classes built on it. The runtime
has one class of each; these modules give extensions that import from
``flask.sansio.app``, ``flask.sansio.blueprints`` or ``flask.sansio.scaffold``
those same classes under the names Flask uses there, so ``isinstance`` and
``issubclass`` checks against the base classes hold for the runtime's objects.
"""
