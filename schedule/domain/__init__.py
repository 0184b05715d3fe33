"""Domain values, regimens and site settings: what the tracker knows. Standard library only."""
