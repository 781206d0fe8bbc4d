"""Sealing of juvenile criminal records (犯罪记录封存, issue 6)."""
