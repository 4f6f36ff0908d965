{{ config(materialized='table', post_hook='analyze {{ this }}') }}
{#- The stages HubSpot deals are in (METRICS.md "HubSpot"): the org's pipelines when it
    delivered them (deal_pipelines, active stages), else the seed hubspot_deal_stages
    (HubSpot's default pipeline). Closed and won come from the stage's probability:
    1.0 closed won, 0.0 closed lost. stage_position orders every stage, pipeline by
    pipeline (int_stage_order). One row per pipeline and stage; a small table. -#}
with delivered as (
    select
        pipeline_id,
        pipeline_label,
        pipeline_display_order,
        stage_id,
        stage_label,
        display_order,
        probability
    from {{ ref('stg_hubspot__deal_stages') }}
    where {{ rv_readable() }} and is_active and stage_id is not null
),

stages as (
    select * from delivered
    union all
    select
        pipeline_id,
        pipeline_label,
        0 as pipeline_display_order,
        stage_id,
        stage_label,
        display_order,
        probability
    from {{ ref('hubspot_deal_stages') }}
    where not exists (select 1 from delivered)
)

select
    pipeline_id,
    pipeline_label,
    stage_id,
    coalesce(stage_label, stage_id) as stage_label,
    row_number() over (
        order by pipeline_display_order nulls last, pipeline_id, display_order nulls last, stage_id
    ) as stage_position,
    probability in (0, 1) as is_closed,
    probability = 1 as is_won
from stages
