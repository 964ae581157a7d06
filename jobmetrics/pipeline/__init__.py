"""The build pipeline, run by `jobmetrics build`, `validate`, `sample` and `export`: the raw files and their
contract, the gate, the load, dbt, publishing (the shared warehouse and each tenant's file), the generator of the
synthetic sample and the other engines."""
