"""process stage."""
