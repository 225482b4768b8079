"""Editors, their roles, API tokens and the audit log."""
