"""One flask-smorest blueprint per role; each view only translates HTTP to one engine call."""
