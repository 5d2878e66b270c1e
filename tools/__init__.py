"""Developer tools that are not part of the shipped packages (run from the checkout: ``python -m tools.<name>``)."""
