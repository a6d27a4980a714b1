"""The HTTP front end (`delegaties serve`, contract section 8): an ASGI app on Litestar.

Like the command line it is a thin layer: it maps HTTP to calls of `registry.Registry` and their
answers back to JSON, and holds no business logic. `create_app` lives in `app.py`; nothing here
is imported by the CLI until `serve` runs.
"""
