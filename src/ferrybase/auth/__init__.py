"""Credentials: password hashing and token signing. Implements what ``core/auth.py`` uses.

Imports the leaves only; knows nothing of collections, records or HTTP.
"""
