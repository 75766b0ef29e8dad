"""The ``slt-check`` command: ``build``, ``check`` and the exit codes (``main``), the argument types
and option groups the subcommands share (``options``), and the ``ledger``, ``report``, ``compare``
and CNN (``cnn``) subcommands, one module each."""
