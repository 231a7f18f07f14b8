"""Articles (plan models 18 and 19): written by communications staff, read by citizens and
civil servants according to each article's audience."""
