"""composition stage."""
