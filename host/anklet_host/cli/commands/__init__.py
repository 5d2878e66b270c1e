"""One module per `anklet` subcommand (see anklet_host.cli)."""
