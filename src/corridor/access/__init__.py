"""Accessibility: the metrics (:mod:`~corridor.access.metrics`), the portfolio scorer and its results
(:mod:`~corridor.access.scorer`), and sweeps through the worker pool (:mod:`~corridor.access.sweeps`)."""
