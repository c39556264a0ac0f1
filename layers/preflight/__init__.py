"""`make doctor`: a read-only preflight of a real account, with the function's own configuration, credentials,
endpoints, SDK clients and OBS signing. It never publishes and never touches the state object."""
