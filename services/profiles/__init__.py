"""The supplier profile (供应商画像) as a stream: a faust worker over orders, refunds and payouts."""
