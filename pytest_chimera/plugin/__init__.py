"""The pytest wiring, and the only place that imports pytest: hooks (``hooks``, the entry point), every
option defined once (``options``), settings in ``config.stash`` (``settings``), the corpus, model and report
fixtures, benchmark capture, the merge gate and the scorecard."""
