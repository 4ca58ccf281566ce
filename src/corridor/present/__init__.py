"""What maps and reports show: the briefing (:mod:`~corridor.present.briefing`), Folium maps
(:mod:`~corridor.present.maps`), charts (:mod:`~corridor.present.charts`) and reports
(:mod:`~corridor.present.report`)."""
