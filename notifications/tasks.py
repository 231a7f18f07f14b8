"""Background jobs of communications (sending campaigns, topic sync, pruning devices)."""
