"""Warung bot: sell in a Telegram chat, get paid at Indomaret through Midtrans.

Top level: ``app.py`` (wiring), ``config.py`` (settings), ``listener.py`` (the web listener for
Midtrans and Telegram webhooks), ``persistence.py`` (PTB state in the store). Below, from the bottom
up: ``rules/``, ``text/``, ``payments/`` and ``messages/``, ``shop/``, ``chat/``.
"""
