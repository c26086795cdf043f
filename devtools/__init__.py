"""Developer tools, not installed with the product: Telegram stand-in, Midtrans sandbox, demo."""
