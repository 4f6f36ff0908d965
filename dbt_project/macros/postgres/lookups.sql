{#- PostgreSQL's key lookups (dispatched from ../lookups.sql): one index scan per key. -#}

{% macro postgres__rv_rows_by_key(relation, column, keys, every_row=false) -%}
    {%- if every_row -%}
    select * from {{ relation }}
    {%- else -%}
    select found.*
    from (select distinct source_system, key from ({{ keys }}) as wanted) as keys
    cross join lateral (
        select * from {{ relation }} as candidates
        where candidates.source_system = keys.source_system and candidates.{{ column }} = keys.key
        offset 0
    ) as found
    {%- endif -%}
{%- endmacro %}
