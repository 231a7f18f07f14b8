"""The job queue's schema (procrastinate's tables), applied as a Piccolo migration."""
