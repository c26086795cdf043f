"""python-telegram-bot handlers, thin: parse the update, call one service, render the answer.

``customer/`` and ``seller/`` each register their own handlers; ``common.py`` holds the one set of
reply/show/answer helpers; ``context.py`` the typed context (``context.services``).
"""
