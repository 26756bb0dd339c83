"""Integrations: the outside services Ferrybase talks to on the core's behalf.

``mail.py`` delivers the core's :class:`~ferrybase.core.ports.Mail` over SMTP. Modules here
implement Protocols of ``core/ports.py`` and may import ``core``, ``errors`` and third-party
clients; never ``api`` or ``server``.
"""
