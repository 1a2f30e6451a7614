"""The organisation: people, departments (lanes) and who a deadline or escalation goes to."""
