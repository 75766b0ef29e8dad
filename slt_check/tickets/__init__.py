"""Targets and tickets as data: target networks from random families, npz files and torch models
(``targets``), the dense ticket ``mask * G`` (``ticket``) and the compact ticket that stores only kept
entries and regenerates them from G's streams (``compact_ticket``). Both follow one protocol
(:class:`~slt_check.tickets.ticket.AnyTicket`). Checking a ticket against the G its seed gives is
:mod:`slt_check.pipeline.verify`."""
