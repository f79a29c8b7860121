"""The command line: parse, call one library function, format. No business rules here."""
