"""dbt's ``adapter`` for sqlfluff's Jinja templater (``library_path`` in ``.sqlfluff``).

sqlfluff renders the models without dbt. Their macros call ``adapter.dispatch`` for
what is PostgreSQL's alone (docs/adapters.md); here it picks ``postgres__<name>``,
else ``default__<name>``, from the macros sqlfluff loaded, as dbt does on PostgreSQL.
"""

import jinja2


@jinja2.pass_context
def dispatch(context, name, macro_namespace=None):
    for prefix in ("postgres__", "default__"):
        macro = context.resolve_or_missing(prefix + name)
        if macro is not jinja2.runtime.missing:
            return macro
    raise jinja2.UndefinedError(f"no postgres__{name} or default__{name} macro")
