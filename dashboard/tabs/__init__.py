"""The dashboard's pages, one module each: dashboard/app.py's navigation runs it as the page."""
