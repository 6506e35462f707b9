"""The command line's subcommands, one module each; :mod:`chainrule.cli` wires them up."""
