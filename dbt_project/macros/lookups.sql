{#- Looking up a few records in the int_* views by key.

    The int_* views are UNION ALL views with one branch per source. Joined to a
    small set of keys, PostgreSQL scans every branch whole: the views have no column
    statistics, and a branch that is a join or has a WHERE cannot take the join key.
    Looked up one key at a time (LATERAL ... OFFSET 0), each key reaches the
    staging tables' indexes, and a branch of another source is skipped by its
    one-time filter. The incremental marts and campaign_attribution read what they
    need this way: at a million leads, 40,000 lead ids took 0.96 s, against 2.78 s as
    a join. -#}

{#- Query: the rows of `relation` (an int_* view) whose source_system and `column`
    equal a row (source_system, key) of the query `keys`, each key looked up on its
    own (OFFSET 0 keeps PostgreSQL from flattening the lookup back into a join);
    every row of `relation` when every_row. -#}
{% macro rv_rows_by_key(relation, column, keys, every_row=false) -%}
    {{ return(adapter.dispatch('rv_rows_by_key', 'revalign')(relation, column, keys, every_row)) }}
{%- endmacro %}

{#- Elsewhere: a plain join of the keys, which a warehouse without indexes plans as
    well as anything. -#}
{% macro default__rv_rows_by_key(relation, column, keys, every_row=false) -%}
    {%- if every_row -%}
    select * from {{ relation }}
    {%- else -%}
    select found.*
    from {{ relation }} as found
    inner join (select distinct source_system, key from ({{ keys }}) as wanted) as keys
        on found.source_system = keys.source_system and found.{{ column }} = keys.key
    {%- endif -%}
{%- endmacro %}

{#- Query: the campaign touches of `leads` (a relation or CTE, as in lead_facts.sql):
    those naming one of their people as lead or contact; every touch when
    every_row. -#}
{% macro rv_touches_of_leads(leads, every_row=false) -%}
    {%- set people -%}
        select source_system, person_id as key from ({{ rv_lead_people(leads) }}) as people
    {%- endset -%}
    {{ rv_touches_of_people(people, every_row) }}
{%- endmacro %}

{#- Query: the campaign touches naming, as lead or contact, a person of the query
    `people` (source_system, key); every touch when every_row. -#}
{% macro rv_touches_of_people(people, every_row=false) -%}
    {%- if every_row -%}
    select * from {{ ref('int_campaign_touches') }}
    {%- else -%}
    {{ rv_rows_by_key(ref('int_campaign_touches'), 'lead_id', people) }}
    union
    {{ rv_rows_by_key(ref('int_campaign_touches'), 'contact_id', people) }}
    {%- endif -%}
{%- endmacro %}

{#- SQL: a record's owner id; where an export gave only the owner's name (a Salesforce
    report, HubSpot's own export), the id of the one user of that name in the
    record's source (int_user_names; `source_system` a SQL literal). A scalar
    subquery, evaluated only for a record without an owner id: a join here would be
    rebuilt for every key the incremental marts look up (rv_rows_by_key). -#}
{% macro rv_owner_id(owner_id, owner_name, source_system="'salesforce'") -%}
    coalesce({{ owner_id }}, (
        select named.user_id from {{ ref('int_user_names') }} as named
        where named.source_system = {{ source_system }} and named.user_name = {{ owner_name }}
    ))
{%- endmacro %}
