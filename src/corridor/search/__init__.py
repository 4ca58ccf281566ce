"""Which portfolio to fund: the objectives (:mod:`~corridor.search.objectives`), the optimiser under a
budget with its Pareto frontier (:mod:`~corridor.search.optimiser`), and sensitivity draws
(:mod:`~corridor.search.sensitivity`)."""
