"""Pure rules: order states, pricing, ids, shop setting values, money, time. No I/O."""
