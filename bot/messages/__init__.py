"""Messages sent outside a handler: pushes, the outbox sender, the slip, the payment code."""
