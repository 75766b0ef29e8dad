"""Running many trials and staying inside the machine: one executor for every trial loop
(``trials``: serial, local processes or a dask.distributed cluster, identical results), worker processes
that die with their parent (``workers``), and the memory limit with its estimates (``memory``)."""
