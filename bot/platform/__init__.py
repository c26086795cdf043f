"""Platform mode: one deployment hosts many shops, on PostgreSQL, across processes.

``secrets.py`` seals shop secrets at rest; ``onboarding.py`` checks what a seller pastes;
``shops.py`` is the directory of hosted shops; ``platform_bot.py`` is where sellers make and run
their shops; ``edge.py`` takes Telegram's updates and Midtrans' notifications for every shop;
``worker.py`` serves the shops of the partitions it owns (``fairness.py``, ``wakeups.py``);
``leader.py`` runs the platform bot and ``housekeeping.py`` in one process; ``serve.py`` is
``python -m bot platform``. README's "Hosting many shops" tells the whole of it.
"""
