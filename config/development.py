"""Development profile: the default of ``make run``; anonymous access, embedded store, every CORS origin."""
