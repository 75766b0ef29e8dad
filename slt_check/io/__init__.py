"""Files in and out: atomic writes and signal handling (``safe_io``), the one markdown/JSON helper
(``textio``), header-first ``.npz`` reading that never unpickles (``npz_io``), torch models read without
running their pickle and written back (``torch_io``), and the repository paths taken from an explicit root
(``paths``)."""
