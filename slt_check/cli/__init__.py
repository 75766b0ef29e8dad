"""The ``slt-check`` command: ``build``, ``check`` and the shared argument handling (``main``), and the
``ledger``, ``report`` and ``compare`` subcommands (one module each)."""
