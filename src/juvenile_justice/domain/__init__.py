"""Business domains, one Piccolo app per area."""
