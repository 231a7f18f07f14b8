"""Demo data for the embedded default (`ctn demo`, `ctn seed`) and load data for benchmarks.

Every domain adds its demo data here, through its own service, never through its tables.
"""
