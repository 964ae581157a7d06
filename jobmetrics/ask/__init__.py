"""Answer questions from the marts: Claude with guarded SQL (agent, through jobmetrics.guarded), or offline answers."""
