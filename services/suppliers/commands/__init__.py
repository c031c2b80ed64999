"""What suppliers and operations ask: onboarding, the payout bank account, listings."""
