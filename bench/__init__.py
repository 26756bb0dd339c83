"""Side-by-side benchmark of Ferrybase and the real PocketBase (run ``python -m bench``)."""
