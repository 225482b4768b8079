"""The people both domains serve: subscribers, lists, consent, suppression, and the
rules for their addresses and names."""
