"""The dashboard's tabs, one module each; dashboard/app.py routes to them."""
