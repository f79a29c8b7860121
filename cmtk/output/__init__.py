"""Everything cmtk writes for people: printed forms, report pages, shares, exports."""
