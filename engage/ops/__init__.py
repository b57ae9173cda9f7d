"""Running Engage in production: serving, and later backups. Depends on the domain apps."""
