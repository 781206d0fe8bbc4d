"""Issued documents (issue 5): numbering, stored copies, verification codes, the first documents."""
