"""Lists, subscribers with documented consent, and (later) the newsletter issues."""
