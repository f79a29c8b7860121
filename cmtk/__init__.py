"""cmtk: case management toolkit for the reintegration of children into families."""

__version__ = "0.2.0"
