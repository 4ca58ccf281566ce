"""Every shortest-path search: compiled arrays and exact re-scoring (:mod:`~corridor.paths.engine`), the
on-disk cache (:mod:`~corridor.paths.cache`), and roads of an island's size as arrays
(:mod:`~corridor.paths.road_arrays`, :mod:`~corridor.paths.array_network`)."""
