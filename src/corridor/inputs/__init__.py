"""What a planner gives corridor: the region pack (:mod:`~corridor.inputs.region`) and the projects and
portfolios (:mod:`~corridor.inputs.projects`)."""
