"""Demo accounts: one per role, all marked as demo, all with the same published password."""

# Published on purpose: demo accounts exist only in a demo database made by `yousu demo`.
DEMO_PASSWORD = "yousu-demo-2026"
