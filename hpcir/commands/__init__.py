"""One module per `hpcir` subcommand."""
