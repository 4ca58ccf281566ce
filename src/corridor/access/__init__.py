"""Accessibility, bottom first: the metrics of a network (:mod:`~corridor.access.metrics`), the transport
model with and without a portfolio (:mod:`~corridor.access.modelled`), the portfolio scorer
(:mod:`~corridor.access.scorer`), Shapley values (:mod:`~corridor.access.shapley`), a portfolio's score
and the comparison of several (:mod:`~corridor.access.scores`), and sweeps through the worker pool
(:mod:`~corridor.access.sweeps`)."""
