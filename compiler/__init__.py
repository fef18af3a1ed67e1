"""The sitec compiler: analysis, discovery, rendering and the ``sitec`` CLI."""
