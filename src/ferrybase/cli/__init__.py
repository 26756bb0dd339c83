"""The command line, mirroring PocketBase's: ``serve``, ``superuser`` and ``--version``.

Every flag has an environment twin (``--http`` / ``FERRYBASE_HTTP``, ...). One module per
command group; this one holds the root group.
"""

from __future__ import annotations

import click

from ferrybase import __version__
from ferrybase.cli.serve import serve
from ferrybase.cli.superuser import superuser


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", "-v", prog_name="ferrybase", message="%(prog)s version %(version)s"
)
def main() -> None:
    """Ferrybase: a self-hosted backend, wire-compatible with PocketBase."""


main.add_command(serve)
main.add_command(superuser)
