"""Crime reports (plan model 13): identified (confidential) and anonymous reports, their
messages and attachments, encrypted at rest; the citizen's side and the police's."""
