"""SMART checks for case-plan goals and actions."""
