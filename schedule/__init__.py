"""prrt: dosing calendars for PRRT (Lutathera) and somatostatin-analog injections.

The package is the library: pure functions of (regimen, start, recorded facts, as-of date).
It never reads the clock, prints, or imports click.
"""

__version__ = "0.1.0"
