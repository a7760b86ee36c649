"""Browser tests: the real UI in headless Chromium against a live server on the demo data."""
