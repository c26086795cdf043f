"""python-telegram-bot handlers, thin: parse the update, call one service, render the answer."""
