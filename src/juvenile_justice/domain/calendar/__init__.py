"""Official holiday calendars loaded for years the bundled library does not cover."""
