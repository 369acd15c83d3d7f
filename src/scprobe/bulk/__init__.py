"""bulk stage."""
