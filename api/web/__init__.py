"""The web app's pages for people, one module per role's screens: signing in, the
secretariat's console, a member organisation's own page. Each page reads through the same
`Reader` and writes through the same service functions as the JSON API, so no page decides
visibility or permission on its own; forms carry CSRF tokens (api/csrf.py) and every word is
translated (api/translations)."""
