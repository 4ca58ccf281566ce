"""What maps and reports show: the briefing (:mod:`~corridor.present.briefing`), charts
(:mod:`~corridor.present.charts`), Folium maps (:mod:`~corridor.present.maps`, built of
:mod:`~corridor.present.elements`, :mod:`~corridor.present.layers` and
:mod:`~corridor.present.portfolio_layers`, written offline by :mod:`~corridor.present.offline`),
what the commands print and write
(:mod:`~corridor.present.formats`, :mod:`~corridor.present.tables`, :mod:`~corridor.present.payloads`,
:mod:`~corridor.present.outputs`) and the report (:mod:`~corridor.present.report`, laid out by
:mod:`~corridor.present.report_html` and :mod:`~corridor.present.report_markdown` from
:mod:`~corridor.present.report_content`)."""
