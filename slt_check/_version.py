"""The package version (one place; ``slt_check.__version__`` and ticket metadata read it)."""

__version__ = "0.1.0"
