{#- Helpers of the incremental marts (fct_lead_funnel, fct_opportunities).

    inputs: {name: (declared Salesforce table, its staging model)}. A mart row keeps,
    in _loaded_through, the newest _loaded_at of each staging model when it was
    computed, and the as_of. The next build looks for raw rows loaded after that
    (new, changed and deleted records: raw keeps every version), so loads that land
    while a build runs are picked up by the next one. Olist is small and always
    recomputed. -#}

{% macro rv_loaded_through(inputs) -%}
    jsonb_build_object(
        'as_of', (select as_of from {{ ref('int_as_of') }})
        {%- for name, input in inputs.items() %},
        '{{ name }}', (select max(_loaded_at) from {{ input[1] }})
        {%- endfor %}
    )
{%- endmacro %}

{#- When this mart last saw input `name`; -infinity when never. -#}
{% macro rv_loaded_since(name) -%}
    (select coalesce(max((_loaded_through ->> '{{ name }}')::timestamptz), '-infinity') from {{ this }})
{%- endmacro %}

{#- Every version of the raw records of `table` that have a row loaded since the mart
    last saw `name`: old values matter too (an activity moved to another lead changes
    both leads). -#}
{% macro rv_changed_versions(table, name) -%}
    select versions.*
    from {{ source('salesforce', table) }} as versions
    inner join (
        select distinct {{ rv_salesforce_id_15('"id"') }} as record_key
        from {{ source('salesforce', table) }}
        where _loaded_at > {{ rv_loaded_since(name) }}
    ) as changed
        on {{ rv_salesforce_id_15('versions."id"') }} = changed.record_key
{%- endmacro %}

{#- The lead and the contact (person_id) of every version of the changed campaign
    members. -#}
{% macro rv_changed_member_people() -%}
    select {{ rv_salesforce_id('leadid') }} as person_id from ({{ rv_changed_versions('campaign_member', 'members') }}) as m
    union
    select {{ rv_salesforce_id('contactid') }} from ({{ rv_changed_versions('campaign_member', 'members') }}) as m
{%- endmacro %}

{#- Whether as_of moved back, or users changed (teams, departments, active): then
    every row is recomputed. -#}
{% macro rv_everything_changed() -%}
    (select as_of from {{ ref('int_as_of') }})
    < (select max((_loaded_through ->> 'as_of')::timestamptz) from {{ this }})
    or exists (
        select 1 from {{ source('salesforce', 'user') }} where _loaded_at > {{ rv_loaded_since('users') }}
    )
{%- endmacro %}

{#- (source_system, lead_id) of the leads fct_lead_funnel recomputes. -#}
{% macro rv_changed_leads(inputs) %}
    with touched_people as (
        select {{ rv_salesforce_id('whoid') }} as person_id from ({{ rv_changed_versions('task', 'tasks') }}) as t
        union
        select {{ rv_salesforce_id('whoid') }} from ({{ rv_changed_versions('event', 'events') }}) as e
        union
        {{ rv_changed_member_people() }}
    ),

    changed_leads as (
        select {{ rv_salesforce_id_15('"id"') }} as lead_key
        from {{ source('salesforce', 'lead') }}
        where _loaded_at > {{ rv_loaded_since('leads') }}
    ),

    changed_opportunities as (
        select {{ rv_salesforce_id('"id"') }} as opportunity_id
        from {{ source('salesforce', 'opportunity') }}
        where _loaded_at > {{ rv_loaded_since('opportunities') }}
    )

    -- one join per reason: a plan of ORed IN-lists cannot hash millions of ids
    select leads.source_system, leads.lead_id
    from {{ ref('int_leads') }} as leads
    where leads.source_system != 'salesforce' or {{ rv_everything_changed() }}
    union
    select leads.source_system, leads.lead_id
    from {{ ref('int_leads') }} as leads
    inner join changed_leads on left(leads.lead_id, 15) = changed_leads.lead_key
    union
    select leads.source_system, leads.lead_id
    from {{ ref('int_leads') }} as leads
    inner join touched_people on leads.lead_id = touched_people.person_id
    union
    select leads.source_system, leads.lead_id
    from {{ ref('int_leads') }} as leads
    inner join touched_people on leads.converted_contact_id = touched_people.person_id
    union
    select leads.source_system, leads.lead_id
    from {{ ref('int_leads') }} as leads
    inner join changed_opportunities
        on leads.converted_opportunity_id = changed_opportunities.opportunity_id
    union
    select source_system, lead_id from {{ this }} where sla_status = 'pending'
{% endmacro %}

{#- (source_system, opportunity_id) of the opportunities fct_opportunities recomputes:
    the opportunity, its activities or history changed, or its origin lead (sourcing)
    or that lead's campaign touches (influence). -#}
{% macro rv_changed_opportunities(inputs) %}
    with touched_people as (
        {{ rv_changed_member_people() }}
    ),

    touched_opportunities as (
        select {{ rv_salesforce_id('whatid') }} as opportunity_id from ({{ rv_changed_versions('task', 'tasks') }}) as t
        union
        select {{ rv_salesforce_id('whatid') }} from ({{ rv_changed_versions('event', 'events') }}) as e
        union
        select {{ rv_salesforce_id('opportunityid') }} from ({{ rv_changed_versions('opportunity_history', 'history') }}) as h
        union
        select {{ rv_salesforce_id('convertedopportunityid') }} from ({{ rv_changed_versions('lead', 'leads') }}) as l
        union
        select {{ rv_salesforce_id('"id"') }} from {{ source('salesforce', 'opportunity') }}
        where _loaded_at > {{ rv_loaded_since('opportunities') }}
        union
        select leads.converted_opportunity_id
        from {{ ref('int_leads') }} as leads
        inner join touched_people on leads.lead_id = touched_people.person_id
        union
        select leads.converted_opportunity_id
        from {{ ref('int_leads') }} as leads
        inner join touched_people on leads.converted_contact_id = touched_people.person_id
    )

    select opportunities.source_system, opportunities.opportunity_id
    from {{ ref('int_opportunities') }} as opportunities
    where opportunities.source_system != 'salesforce' or {{ rv_everything_changed() }}
    union
    select opportunities.source_system, opportunities.opportunity_id
    from {{ ref('int_opportunities') }} as opportunities
    inner join touched_opportunities
        on opportunities.opportunity_id = touched_opportunities.opportunity_id
{% endmacro %}

{#- Post-hook: rows whose record is no longer current (deleted at the source) leave. -#}
{% macro rv_drop_missing(current, id_column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as mart
    where not exists (
        select 1 from {{ current }} as records
        where records.source_system = mart.source_system and records.{{ id_column }} = mart.{{ id_column }}
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
