"""The web app: server-rendered pages for merchant and warehouse staff, one more door.

Pages translate forms into the same service calls the APIs make and render the records they get
back; no page holds a rule. `routes.mount(app)` wires sessions, CSRF, static files and pages.
"""
