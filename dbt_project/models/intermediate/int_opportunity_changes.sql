{#- The changes of opportunities each source recorded, one row per change: Salesforce's
    OpportunityHistory rows (a stage, amount or close date changed), HubSpot's dealstage
    property history (a stage set, resolved to its label as int_opportunity_records
    does, by id or label; a stage id is unique across pipelines). changed_at and
    change_id order them; stage_name is the stage after the change. They make
    last_touched_at (fct_opportunities) and the stage entries (fct_opportunity_stages).
    A new source adds its branch here. -#}
select
    opportunity_id,
    'salesforce' as source_system,
    created_at as changed_at,
    opportunity_history_id as change_id,
    stage_name
from {{ ref('stg_salesforce__opportunity_history') }}
where {{ rv_readable() }}
union all
select
    history.opportunity_id,
    'hubspot' as source_system,
    history.changed_at,
    history._key as change_id,
    coalesce(stage.stage_label, history.value) as stage_name
from {{ ref('stg_hubspot__deal_property_history') }} as history
left join lateral (
    select stages.stage_label
    from {{ ref('int_hubspot_deal_stages') }} as stages
    where history.value in (stages.stage_id, stages.stage_label)
    order by history.value = stages.stage_id desc, stages.stage_position
    limit 1
) as stage on true
where {{ rv_readable('history') }} and history.property_name = 'dealstage'
