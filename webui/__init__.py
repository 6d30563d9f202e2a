"""The Streamlit pages' building blocks: thin views over the `qa` API (no logic the CLI needs)."""
