"""Money in: the Midtrans client, the payment service, the ledger, its worker, reconciliation."""
