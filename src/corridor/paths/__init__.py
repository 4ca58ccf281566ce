"""Every shortest-path search, bottom first: compiled arrays and searches (:mod:`~corridor.paths.engine`),
exact re-scoring (:mod:`~corridor.paths.rescore`), routes with their legs (:mod:`~corridor.paths.routes`),
the on-disk cache (:mod:`~corridor.paths.cache`), and roads of an island's size as arrays
(:mod:`~corridor.paths.road_arrays`, :mod:`~corridor.paths.array_network`)."""
