"""The procedure: cases, steps and gates, monitoring schedule, plans, review scoring, conferences."""
