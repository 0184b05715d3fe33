"""The calendar engine: events from a regimen, a start and the recorded facts. Pure."""
