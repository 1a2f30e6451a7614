"""The service layer: one set of functions behind the pages, the JSON API, the CLI and the workers.

Grouped by domain:
- ``cases``: starting and running cases, tasks and the inbox, timers, deadlines and escalation, drafts,
  delegation, case migration;
- ``organisation``: people, departments (lanes), escalation targets;
- ``modelling``: publishing diagrams, DMN tables and forms, drafts of models, validation rules;
- ``audit``: the hash-chained audit trail, case history, search, exports and reports, masking;
- ``notifications``: e-mail notices and the outbox;
- ``operations``: backup and restore.
``errors`` holds the exceptions every domain raises.
"""
