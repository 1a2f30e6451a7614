"""The audit trail and what auditors read from it: history, search, exports, reports, masking."""
