"""One module per ``hirelens`` sub-command: ``register(subparsers)`` adds it, ``run(args)`` does it.

``run`` returns what to print: a dict (printed as JSON with ``--json``, else rendered for people) or text.
"""
