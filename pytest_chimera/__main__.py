"""``python -m pytest_chimera``: the same as the ``pytest-chimera`` command."""

from pytest_chimera.cli import main

raise SystemExit(main())
