"""The load engine: jobs as greenlets, schedules, and the one recording hook."""
