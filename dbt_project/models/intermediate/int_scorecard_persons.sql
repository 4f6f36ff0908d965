{#- One narrow row per person of the funnel: what alignment_scorecard counts of them,
    the cell of int_scorecard_person_cells it falls in (month created, MQL month, team,
    persona, SLA and acceptance status, converted or not) and the first-touch hours
    of an MQL (null for others), whose medians it takes from here: in the order of an
    index (MQL month, team, hours), read from the index alone and not sorted.

    Incremental per person (macros/rewritten_records.sql): a build recomputes the
    persons fct_lead_funnel wrote or dropped since its last build, and logs the rows
    it takes out and writes (macros/counted_cells.sql) for the counts per cell. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    indexes=[
        {'columns': ['lead_id']},
        {'columns': ['mql_month', 'owner_team', 'mql_first_touch_hours']},
    ],
    pre_hook=[
        "{{ rv_without_jit() }}",
        "{{ rv_record_rebuild() }}",
        "{{ rv_stage_counted_records(ref('fct_lead_funnel'), 'lead_id', 'rv_scorecard_persons_written') }}",
    ],
    post_hook=[
        "{{ rv_analyze_when_stale() }}",
        "{{ rv_record_written_rows() }}",
        "{{ rv_log_counted_rows() }}",
    ],
) }}

select
    source_system,
    lead_id,
    {{ rv_month_of('created_at') }} as created_month,
    {{ rv_month_of('mql_at') }} as mql_month,
    owner_team,
    persona,
    sla_status,
    acceptance_status,
    opportunity_id is not null as has_opportunity,
    case when mql_at is not null then first_touch_hours end as mql_first_touch_hours
from {{ ref('fct_lead_funnel') }}
{%- if is_incremental() %}
    where (source_system, lead_id) in (
        select
            written.source_system,
            written.key
        from rv_scorecard_persons_written as written
    )
{%- endif %}
