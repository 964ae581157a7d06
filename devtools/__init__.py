"""Development tools, outside the runtime package: the benchmark harness, a throwaway PostgreSQL for the
tests, and the provisioning of the system packages `make test` needs. Run from the project root."""
