"""HTTP conventions every domain shares: cursor pagination, ETags and `Idempotency-Key`
replay (the middleware, and the table that keeps replayable responses)."""
