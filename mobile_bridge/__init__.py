"""What only the mobile app needs: app configuration and the version gate, the home screen
aggregate. The HTTP conventions every domain shares (cursor pagination, ETags, idempotency
keys) live in `backend.http`."""
