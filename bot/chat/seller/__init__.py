"""The seller's chat: catalogue, shop settings, orders, sales, admins."""
