"""Suppliers: onboarding, licences, bank-account verification and catalog listings."""
