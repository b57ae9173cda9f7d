"""The REST API (`/api/v1/`): the case work of the web pages for other tools, through personal
access tokens, with the same scoping, field-level access, audit of reads and concurrency control."""
