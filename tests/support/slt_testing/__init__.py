"""Test support shared by ``tests/`` and ``properties/`` (not part of the installed library).

* :mod:`slt_testing.strategies`: the Hypothesis strategies of the property suite;
* :mod:`slt_testing.breaks`: broken variants of the library ("mutations") that the property suite
  must catch; claims name them by string in ``Claim.breaks``.

Test modules are imported with ``--import-mode=importlib`` and cannot import each other, so this
package sits on pytest's ``pythonpath`` (``[tool.pytest]`` in ``pyproject.toml``): ``from slt_testing
import strategies as S``. Outside pytest: ``PYTHONPATH=tests/support python -m slt_testing.breaks``.
"""
