{#- The key that groups persons by email without the address (METRICS.md "Privacy"):
    HMAC-SHA-256 of the trimmed, lower-cased email under the installation's secret,
    hex-encoded; null when the email is null. The secret is ops.email_key_secret (its
    two RFC 2104 pads, written by revalign/ops_tables.py), which only revalign's own
    role reads: a BI user cannot recompute the key of a candidate address. PostgreSQL's
    built-in sha256() computes it, so no extension is needed. The pads are read by
    scalar subqueries, which PostgreSQL evaluates once per statement (InitPlans) and
    which leave the plan of the query around them as it was. -#}
{% macro rv_email_key(email) -%}
    {%- set secret = source('ops', 'email_key_secret') -%}
    encode(
        sha256(
            (select outer_pad from {{ secret }})
            || sha256((select inner_pad from {{ secret }}) || convert_to(lower(trim({{ email }})), 'UTF8'))
        ),
        'hex'
    )
{%- endmacro %}
