"""What the command line shows: the column contract, the renderer, atomic file writes."""
