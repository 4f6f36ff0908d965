{#- Casts from raw text to typed values, one macro per declared field type
    (the types of models/staging/*/_*__sources.yml). Each returns null for an empty
    value and for a value it cannot read; never an error, so one bad record cannot
    stop a build. Staging models (rv_newest_records) tell the two apart, list the
    fields that failed in `_invalid_fields`, and the `cast_failures` test counts them. -#}

{% macro rv_cast(expression, kind) -%}
    {%- if kind == 'id' -%} {{ rv_salesforce_id(expression) }}
    {%- elif kind == 'text' -%} nullif({{ expression }}, '')
    {%- elif kind == 'timestamp' -%} {{ rv_timestamp(expression) }}
    {%- elif kind == 'date' -%} {{ rv_date(expression) }}
    {%- elif kind == 'boolean' -%} {{ rv_boolean(expression) }}
    {%- elif kind == 'number' -%} {{ rv_number(expression) }}
    {%- elif kind == 'integer' -%} {{ rv_integer(expression) }}
    {%- elif kind == 'month' -%} {{ rv_month(expression) }}
    {%- else -%} {{ exceptions.raise_compiler_error("unknown field type " ~ kind) }}
    {%- endif -%}
{%- endmacro %}

{#- A Salesforce id in its 18-character form. The first 15 characters are the
    case-sensitive id; the last 3 encode which of them are upper case, 5 per
    character. A 15-character id gets its suffix computed; an 18-character one keeps
    its suffix, upper-cased (Salesforce compares it without regard to case), so both
    spellings of one record compare equal. -#}
{% macro rv_salesforce_id(expression) -%}
    {%- set id = "trim(" ~ expression ~ ")" -%}
    case when {{ id }} ~ '^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$' then case length({{ id }})
        when 18 then left({{ id }}, 15) || upper(right({{ id }}, 3))
        else {{ id }}
        {%- for block in range(3) %}
            || {{ rv_id_suffix_character("substr(" ~ id ~ ", " ~ (block * 5 + 1) ~ ", 5)") }}
        {%- endfor %}
    end end
{%- endmacro %}

{% macro rv_alphanumerics() -%}
    abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ
{%- endmacro %}

{#- One suffix character: the 5 characters' upper-case pattern as a 5-bit number
    (first character = lowest bit), read as a position in A..Z0..5. -#}
{% macro rv_id_suffix_character(five) -%}
    substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 1 + translate(
        reverse({{ five }}), '{{ rv_alphanumerics() }}', '{{ '0' * 36 ~ '1' * 26 }}'
    )::bit(5)::int, 1)
{%- endmacro %}

{#- The case-sensitive identity of a Salesforce id (its first 15 characters): cheap
    to compute, so incremental models match changed records on it. -#}
{% macro rv_salesforce_id_15(expression) -%}
    left(trim({{ expression }}), 15)
{%- endmacro %}

{#- 2024-01-22T20:36:47.000+0000, ...Z, 2024-01-22 20:36:47 or 2024-01-22; or
    milliseconds since 1970 as HubSpot's API writes them (12 or 13 digits: 1973 to
    2286). A value without a zone is UTC: staging models build with the session time
    zone set to UTC (dbt_project.yml). Shape, then field ranges, then the calendar
    (2024-02-30 is null) are checked before casting, so a bad value is null, never an
    error. -#}
{% macro rv_timestamp(expression) -%}
    {%- set value = "trim(" ~ expression ~ ")" -%}
    case when {{ value }} ~ '^[0-9]{12,13}$' then to_timestamp({{ value }}::bigint / 1000.0)
    when {{ value }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?)?([zZ]|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?$'
        and {{ rv_day_exists(value) }}
        then {{ value }}::timestamptz
    end
{%- endmacro %}

{% macro rv_date(expression) -%}
    {%- set value = "left(trim(" ~ expression ~ "), 10)" -%}
    case when {{ value }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
        and {{ rv_day_exists(value) }} then {{ value }}::date end
{%- endmacro %}

{#- Whether YYYY-MM-DD... names a day of its month (only called once the shape and
    ranges passed); cheap for days up to 28. -#}
{% macro rv_day_exists(value) -%}
    case when substr({{ value }}, 9, 2) <= '28' then true else substr({{ value }}, 9, 2)::int <= extract(
        day from (substr({{ value }}, 1, 7) || '-01')::date + interval '1 month' - interval '1 day'
    ) end
{%- endmacro %}

{% macro rv_boolean(expression) -%}
    case
        when lower(trim({{ expression }})) in ('true', '1', 'yes', 'y', 't') then true
        when lower(trim({{ expression }})) in ('false', '0', 'no', 'n', 'f') then false
    end
{%- endmacro %}

{% macro rv_number(expression) -%}
    case when trim({{ expression }}) ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$'
        then trim({{ expression }})::numeric end
{%- endmacro %}

{% macro rv_integer(expression) -%}
    case when trim({{ expression }}) ~ '^[+-]?[0-9]{1,18}$' then trim({{ expression }})::bigint end
{%- endmacro %}

{#- YYYY-MM as the first day of that month. -#}
{% macro rv_month(expression) -%}
    case when trim({{ expression }}) ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
        then (trim({{ expression }}) || '-01')::date end
{%- endmacro %}

{#- Condition: a staged record all of whose delivered values could be read. The
    intermediate layer keeps the others out of the marts (their fields and reasons
    are listed in ops.unreadable_records); every other record builds. -#}
{% macro rv_readable(alias=none) -%}
    {#- compared as a value, not by cardinality(): the column's statistics then tell
        PostgreSQL that nearly every record passes (an expression would leave it
        guessing 0.5 %, and at a million leads choosing plans for five thousand) -#}
    {{ alias ~ '.' if alias else '' }}_invalid_fields = '{}'::text[]
{%- endmacro %}
