"""The multimodal network, bottom first: the one edge builder (:mod:`~corridor.network.edges`), the graph
(:mod:`~corridor.network.build`), OpenStreetMap files (:mod:`~corridor.network.osm`), what users type
resolved to nodes (:mod:`~corridor.network.places`), typed changes (:mod:`~corridor.network.changes`), the
edits of projects (:mod:`~corridor.network.edits`) and a portfolio applied to a copy
(:mod:`~corridor.network.scenario`)."""
