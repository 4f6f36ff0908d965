{#- HubSpot's shapes (models/staging/hubspot, METRICS.md "HubSpot"). -#}

{#- SQL text[]: the record ids of an association column as HubSpot's exports write it,
    `101;102` (a comma is read as `;` too), blanks left out; empty when none. -#}
{% macro rv_hubspot_ids(expression) -%}
    array_remove(regexp_split_to_array(coalesce(trim({{ expression }}), ''), '\s*[;,]\s*'), '')
{%- endmacro %}

{#- Staging of one engagement object (calls, emails, meetings, tasks): one row per
    engagement and associated record, the contacts and deals it is associated with
    paired off in list order (who_id, what_id; either may be null), and one row with
    both null for an engagement associated with nothing. -#}
{% macro rv_hubspot_engagements(table_name) %}
with engagements as ({{ rv_newest_records('hubspot', table_name) }})

select
    engagements.hs_object_id as activity_id,
    associated.who_id,
    associated.what_id,
    engagements.hubspot_owner_id as owner_id,
    engagements.hubspot_owner_name as owner_name,
    engagements.hs_timestamp as created_at,
    engagements.hs_createdate as logged_at,
    engagements._modified_at as modified_at,
    engagements._key,
    engagements._is_deleted,
    engagements._invalid_fields,
    engagements._loaded_at,
    engagements._file,
    engagements._row_number
from engagements
left join lateral unnest(
    {{ rv_hubspot_ids('engagements.associated_contact_ids') }},
    {{ rv_hubspot_ids('engagements.associated_deal_ids') }}
) as associated (who_id, what_id) on true
{% endmacro %}

{#- The config of a HubSpot staging model with one row per record and association
    (rv_hubspot_engagements, stg_hubspot__deal_contacts): its _key repeats, so it is
    indexed, not unique; delete+insert replaces every row of a changed record. -#}
{% macro rv_hubspot_association_indexes(columns) -%}
    {%- set indexes = [{'columns': ['_key']}, {'columns': ['_loaded_at']}] -%}
    {%- for column in columns -%}{%- do indexes.append({'columns': [column]}) -%}{%- endfor -%}
    {{ return(indexes) }}
{%- endmacro %}

{#- SQL: an enumeration property's option as revalign keeps it (seed
    hubspot_property_options): `to` value (the default: the settings name values) reads
    a label (HubSpot's export) as its value; `to` label reads a value (the API) as its
    label (personas: persona_1 is "Buyer"). Anything else is kept as delivered; blank
    is null. -#}
{% macro rv_hubspot_option(property, expression, to='value') -%}
    {%- set known = 'label' if to == 'value' else 'value' -%}
    coalesce((
        select options.{{ to }} from {{ ref('hubspot_property_options') }} as options
        where options.property = '{{ property }}' and lower(options.{{ known }}) = lower(trim({{ expression }}))
        limit 1
    ), nullif(trim({{ expression }}), ''))
{%- endmacro %}
