"""One blueprint per area: monitor (the page), api (its JSON), reports, admin."""
