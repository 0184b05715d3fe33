"""Clinic reports: what happened to the doses of a span of months, and the infusion load of the
weeks ahead, computed with pandas from the stored facts and drawn as SVG charts.

`collect` reads the facts (through the store's read interface: an SQLite file with sqlite3
alone) and the engine's statuses, `tables` turns them into the report's tables (the documented
column contract), `charts` draws them as SVG (laid out by `plot`, written element by element
by `svg`, without matplotlib) and `document` writes the HTML page. Nothing here reads the
clock: the as-of date and the span are passed in.
"""
