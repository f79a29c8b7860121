"""The encrypted summary index and the caseload reports read from it."""
