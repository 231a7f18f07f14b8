"""What only the mobile app needs: idempotency keys, cursor pagination, ETags, app config."""
