"""Shop services the handlers call; each rule has its home here.

``services.py`` (the Services container), ``checkout.py`` (orders, the shop-open and pending-limit
rule), ``fulfilment.py``, ``order_history.py`` (the seller's order view), ``sales.py`` (reports),
``admins.py`` (owner claim, admins), ``shop_settings.py`` (changing the shop's settings).
"""
