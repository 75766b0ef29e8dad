"""Experiments over many tickets: parameter sweeps (``sweep``), the smallest working width
(``minwidth``), constructions compared with each other (``compare``), the report with its figures
(``report``) and the plotting helpers (``plotting``)."""
