"""Bring a message back later: a sent one nobody answered (follow-ups, "Relancer"), a received one
put aside until a chosen time (snooze, "Reportés"); periodic jobs whose state is on their rows."""
