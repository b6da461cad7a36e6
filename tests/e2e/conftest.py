"""End-to-end tests run the installed ``cqrs-desktop`` command as a user would, offscreen."""
