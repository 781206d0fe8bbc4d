"""Cases (案件): cases, people, charges, steps, decisions, assignments."""
