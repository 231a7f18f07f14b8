"""Background jobs of the MOOC: importing each part's jobs registers them with the queue
(quiz attempts graded at their deadline, mandatory training synchronised and reminded)."""

from __future__ import annotations

from mooc import assignment_tasks as assignment_tasks
from mooc import quiz_tasks as quiz_tasks
