"""Which portfolio to fund: the optimiser under a budget, its Pareto frontier, and sensitivity draws
(:mod:`~corridor.search.optimiser`)."""
