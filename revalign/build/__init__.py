"""Build: the dbt project run against the warehouse, at one as_of."""
