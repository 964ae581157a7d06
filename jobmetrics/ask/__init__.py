"""Answer questions from the marts: Claude with guarded SQL (agent, sql_guard), or offline answers."""
