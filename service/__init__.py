"""Everything a user touches: the HTTP API and the `exposure` command line."""
