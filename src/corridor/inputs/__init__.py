"""What a planner gives corridor: the region pack (:mod:`~corridor.inputs.region`), the schema of projects
and portfolios (:mod:`~corridor.inputs.projects`) and their files (:mod:`~corridor.inputs.project_files`)."""
