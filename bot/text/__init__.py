"""Words the customer and seller read: the id/en catalogue, formatting, callback data, parsers."""
