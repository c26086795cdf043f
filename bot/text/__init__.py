"""Words the customer and seller read and type.

``phrases/`` (the id/en catalogue), ``formatting.py`` (amounts, phones, WIB times, the message
length rule), ``callbacks.py`` (button data), ``typed_orders.py`` (the typed-order parser),
``fields.py`` (price, phone, email, dates, durations, stock), ``number_words.py`` (number words).
"""
