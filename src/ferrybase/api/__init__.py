"""Thin HTTP: parse a request into plain values, call one core operation, render the result.

Imports the core and the leaves; knows nothing of stores or drivers.
"""
