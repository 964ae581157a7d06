"""What people see, drawn by the Streamlit dashboard and the board pack: the figures, how columns read as words and
units, the board pack and its browser, the semantic layer of the report builder, and the sign-in form."""
