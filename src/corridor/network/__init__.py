"""The multimodal network: the one edge builder (:mod:`~corridor.network.edges`), the graph
(:mod:`~corridor.network.build`), OpenStreetMap files (:mod:`~corridor.network.osm`), what users type
resolved to nodes (:mod:`~corridor.network.places`) and a portfolio's edits applied to a copy
(:mod:`~corridor.network.scenario`)."""
