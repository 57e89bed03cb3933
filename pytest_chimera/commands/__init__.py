"""Subcommands of the ``pytest-chimera`` CLI, one module each.

Each module defines ``add_parser(subparsers)`` that registers its subparser and sets ``func`` to a
``(argparse.Namespace) -> int`` callable. Modules import their heavy dependencies inside ``func``.
"""
