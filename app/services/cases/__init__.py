"""Cases and tasks: starting and running cases, the inbox, timers, deadlines, escalation, drafts, delegation."""
