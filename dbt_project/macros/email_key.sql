{#- The key that groups persons by email without the address (METRICS.md "Privacy"):
    HMAC-SHA-256 of the trimmed, lower-cased email under the installation's secret,
    truncated to its first 128 bits (RFC 2104, section 5: as wide as the md5 it
    replaced, so grouping a million keys costs what it did) and hex-encoded; null when
    the email is null. The secret is ops.email_key_secret (its
    two RFC 2104 pads, written by revalign/warehouse/ops_tables.py), which only revalign's own
    role reads: a BI user cannot recompute the key of a candidate address. PostgreSQL's
    built-in sha256() computes it, so no extension is needed. The pads are read by
    scalar subqueries, which PostgreSQL evaluates once per statement (InitPlans) and
    which leave the plan of the query around them as it was. -#}
{% macro rv_email_key(email) -%}
    {{ return(adapter.dispatch('rv_email_key', 'revalign')(email)) }}
{%- endmacro %}

{#- SQL: an email address as revalign compares it: trimmed and lower-cased (its key is
    this one's hash; HubSpot's email events name their recipient by it). -#}
{% macro rv_email_address(email) -%}
    lower(trim({{ email }}))
{%- endmacro %}

{#- SQL: whether an email is of the form local@domain.tld (METRICS.md, the
    hygiene rule on emails: no spaces, one @, a dot in the domain); false when blank. -#}
{% macro rv_email_is_valid(email) -%}
    coalesce({{ email }} ~ '^[^[:space:]@]+@[^[:space:]@]+\.[^[:space:]@]+$', false)
{%- endmacro %}
