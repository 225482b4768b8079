"""Events: network meetings, trainings, info events (issue 4)."""
