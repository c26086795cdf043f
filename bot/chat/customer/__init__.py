"""The customer's chat: menu, cart, typed orders, checkout, my orders."""
