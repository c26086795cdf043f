"""Seller-side services: checkout, fulfilment, sales reports, admins; the services container."""
