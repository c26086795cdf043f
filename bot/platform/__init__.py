"""Platform mode: one deployment hosts many shops (in progress).

``secrets.py`` seals shop secrets at rest; ``onboarding.py`` checks a pasted BotFather token and
Midtrans server key against Telegram and Midtrans and points the bot's webhook at its shop. The
platform bot, the edge and worker processes that use them come in a later step.
"""
