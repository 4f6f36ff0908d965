{#- One row per current account (METRICS.md, Accounts): its people (the persons of the
    funnel that belong to it: its contacts created directly and the leads converted
    into it), their MQLs and first campaign touch, its opportunities, open pipeline
    and won amount, whether it is a customer (any won opportunity) and whether any of
    its opportunities was marketing-influenced. days_first_touch_to_opportunity:
    calendar days (UTC) from the first campaign touch of any of its people to the
    creation of its first opportunity; null when either is missing or the touch came
    later.

    Incremental, per account (macros/changed_groups.sql): a build recomputes the
    accounts whose persons, opportunities or account record it wrote or took out (a
    person who moved changes both accounts), each looked up by its account_id index;
    every account when users changed (teams) or a model it reads was built in full. -#}
{{ config(
    materialized='incremental',
    unique_key=['source_system', 'account_id'],
    incremental_strategy='append',
    pre_hook="{{ rv_stage_changed_groups('account_id', rv_account_funnel_inputs()) }}",
    post_hook=[
        "{{ rv_record_watermarks(rv_account_funnel_inputs()) }}",
        "{{ rv_index_columns(['account_id']) }}",
    ],
) }}
-- read by the hooks (rv_watermarks, rv_record_watermarks):
-- depends_on: {{ ref('int_as_of') }}, {{ ref('int_user_deliveries') }}
{%- set changed = rv_changed_groups('account_id', rv_account_funnel_inputs()) %}
{#- the accounts this build recomputes (source_system, key); none: every account -#}
{%- set keys = none if changed.everything or not changed.table
    else 'select source_system, key from ' ~ changed.table %}
{%- set touched = '(source_system, account_id) in (' ~ keys ~ ')' if keys else 'true' %}

with people as (
    select
        source_system,
        account_id,
        count(*) as people,
        count(mql_at) as mqls,
        min(first_campaign_touch_at) as first_touch_at,
        min(mql_at) as first_mql_at
    from {{ ref('fct_lead_funnel') }}
    where account_id is not null and {{ touched }}
    group by source_system, account_id
),

deals as (
    select
        source_system,
        account_id,
        count(*) as opportunities,
        min(created_at) as first_opportunity_created_at,
        sum(coalesce(amount, 0)) filter (where not is_closed) as open_pipeline_amount,
        sum(coalesce(amount, 0)) filter (where is_won) as won_amount,
        bool_or(is_won) as is_customer,
        bool_or(is_marketing_influenced) as is_marketing_influenced
    from {{ ref('fct_opportunities') }}
    where account_id is not null and {{ touched }}
    group by source_system, account_id
)

select
    accounts.account_id,
    accounts.source_system,
    accounts.account_name,
    accounts.owner_id,
    owners.team as owner_team,
    coalesce(people.people, 0) as people,
    coalesce(people.mqls, 0) as mqls,
    people.first_touch_at,
    people.first_mql_at,
    deals.first_opportunity_created_at,
    coalesce(deals.opportunities, 0) as opportunities,
    coalesce(deals.open_pipeline_amount, 0) as open_pipeline_amount,
    coalesce(deals.won_amount, 0) as won_amount,
    coalesce(deals.is_customer, false) as is_customer,
    coalesce(deals.is_marketing_influenced, false) as is_marketing_influenced,
    case
        when people.first_touch_at <= deals.first_opportunity_created_at
            then
                (deals.first_opportunity_created_at at time zone 'UTC')::date
                - (people.first_touch_at at time zone 'UTC')::date
    end as days_first_touch_to_opportunity
from (
    {{ rv_rows_by_key(ref('int_accounts'), 'account_id', keys, every_row=not keys) }}
) as accounts
left join people
    on accounts.source_system = people.source_system and accounts.account_id = people.account_id
left join deals
    on accounts.source_system = deals.source_system and accounts.account_id = deals.account_id
left join {{ ref('int_users') }} as owners
    on accounts.source_system = owners.source_system and accounts.owner_id = owners.user_id
