"""Key management and the protected-column jobs (issue 3): rewrap, re-index, legacy sealing."""
