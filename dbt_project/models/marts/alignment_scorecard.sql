{#- The monthly scorecard of the hand-off (METRICS.md, Alignment scorecard): one row
    per month for the whole company (team null) and one per month and sales team.
    A lead counts for its owner's team, an opportunity for its owner's; records
    whose owner has no team count only in the company rows. Months run from the
    month of the first event (a person created, an MQL, an opportunity created or
    closed: history imported late shows in the months it happened) to the month of
    as_of, which is_complete_month marks false.
    A share is null only when its denominator is 0. The figures that need the MQL
    date are null when no source delivered one, win_loss_reason_coverage counts the
    opportunities of sources that delivered a reason field (int_delivered_fields). -#}
{{ config(pre_hook="{{ rv_hash_aggregates() }}") }}
{%- set window = var('persona_window_months') | int %}
with as_of as (
    select
        as_of,
        {{ rv_month_of('as_of') }} as as_of_month
    from {{ ref('int_as_of') }}
),

-- The persons, counted per cell of every person figure below (month created, MQL
-- month, team, persona, SLA and acceptance status, converted or not): a few thousand
-- cells, kept up from what changed (int_scorecard_person_cells), where counting them
-- here read every person of fct_lead_funnel in every build.
person_cells as (
    select
        created_month,
        mql_month,
        owner_team,
        persona,
        sla_status,
        acceptance_status,
        has_opportunity,
        persons
    from {{ ref('int_scorecard_person_cells') }}
),

opportunities as (
    select
        opportunities.*,
        {{ rv_month_of('opportunities.created_at') }} as created_month,
        {{ rv_month_of('opportunities.closed_at') }} as closed_month,
        opportunities.reason_delivered and coalesce(reasons.delivered, false)
            as reason_field_delivered
    from {{ ref('fct_opportunities') }} as opportunities
    left join {{ ref('int_delivered_fields') }} as reasons
        on
            opportunities.source_system = reasons.source_system
            and reasons.field = 'opportunity.win_loss_reason'
),

-- whether any source delivered an MQL date, a lead's or a contact's (some sources'
-- persons are all contacts): without one, the MQL figures are unknown (no row at all:
-- nothing was worked out yet, as before any load)
delivery as (
    select coalesce(bool_or(delivered), true) as mql_delivered
    from {{ ref('int_delivered_fields') }}
    where field in ('lead.mql_at', 'contact.mql_at')
),

teams as (
    select distinct team from {{ ref('int_users') }}
    where is_sales and team is not null
    union
    select distinct team from {{ ref('int_targets') }}
    where team is not null
),

first_months as (
    select least(min(created_month), min(mql_month)) as first_month from person_cells
    union all
    select {{ rv_month_of('least(min(created_at), min(closed_at))') }} as first_month
    from {{ ref('fct_opportunities') }}
),

months as (
    select generate_series(
        (select min(first_month) from first_months),
        (select as_of_month from as_of),
        interval '1 month'
    )::date as month
),

-- (month, team) cells, team null = whole company; grouping sets count both at once
person_figures as (
    select
        created_month as month,
        owner_team as team,
        grouping(owner_team) = 1 as is_company,
        sum(persons)::bigint as persons,
        coalesce(sum(persons) filter (where has_opportunity), 0)::bigint as persons_with_opportunity
    from person_cells
    group by grouping sets ((created_month), (created_month, owner_team))
),

mql_figures as (
    select
        mql_month as month,
        owner_team as team,
        grouping(owner_team) = 1 as is_company,
        sum(persons)::bigint as mqls,
        coalesce(sum(persons) filter (where sla_status = 'met'), 0)::bigint as sla_met,
        coalesce(sum(persons) filter (where sla_status = 'breached'), 0)::bigint as sla_breached,
        coalesce(sum(persons) filter (where acceptance_status = 'accepted'), 0)::bigint as accepted,
        coalesce(sum(persons) filter (where acceptance_status = 'rejected'), 0)::bigint as rejected,
        coalesce(sum(persons) filter (where has_opportunity), 0)::bigint as converted
    from person_cells
    where mql_month is not null
    group by grouping sets ((mql_month), (mql_month, owner_team))
),

-- the one figure that needs every value: the first-touch hours of the MQLs with a
-- first touch (a median ignores the others), read from the narrow rows of the persons
mql_medians as (
    select
        mql_month as month,
        owner_team as team,
        grouping(owner_team) = 1 as is_company,
        percentile_cont(0.5) within group (order by mql_first_touch_hours)
            as median_first_touch_hours
    from {{ ref('int_scorecard_persons') }}
    where mql_first_touch_hours is not null
    group by grouping sets ((mql_month), (mql_month, owner_team))
),

created_figures as (
    select
        created_month as month,
        owner_team as team,
        grouping(owner_team) = 1 as is_company,
        coalesce(sum(amount) filter (where is_marketing_sourced), 0) as marketing_sourced_amount,
        sum(coalesce(amount, 0)) as pipeline_amount
    from opportunities
    group by grouping sets ((created_month), (created_month, owner_team))
),

closed_figures as (
    select
        closed_month as month,
        owner_team as team,
        grouping(owner_team) = 1 as is_company,
        count(*) filter (where is_marketing_sourced) as closed_marketing,
        count(*) filter (where is_marketing_sourced and is_won) as won_marketing,
        count(*) filter (where not is_marketing_sourced) as closed_sales,
        count(*) filter (where not is_marketing_sourced and is_won) as won_sales,
        count(*) filter (where reason_field_delivered) as closed_with_reason_field,
        count(*) filter (where reason_field_delivered and win_loss_reason is not null)
            as closed_with_reason,
        count(*) filter (where is_marketing_influenced) as closed_influenced,
        count(*) filter (where is_marketing_influenced and is_won) as won_influenced,
        count(*) filter (where not is_marketing_influenced) as closed_not_influenced,
        count(*) filter (where not is_marketing_influenced and is_won) as won_not_influenced,
        percentile_cont(0.5) within group (order by sales_cycle_days)
        filter (where is_won and is_marketing_influenced) as median_cycle_influenced,
        percentile_cont(0.5) within group (order by sales_cycle_days)
        filter (where is_won and not is_marketing_influenced) as median_cycle_not_influenced
    from opportunities
    where is_closed
    group by grouping sets ((closed_month), (closed_month, owner_team))
),

-- personas of MQLs and of won opportunities' origin persons, per month, for the window
mql_personas as (
    select
        mql_month as month,
        owner_team as team,
        grouping(owner_team) = 1 as is_company,
        persona,
        sum(persons)::bigint as n
    from person_cells
    where mql_month is not null
    group by grouping sets ((mql_month, persona), (mql_month, owner_team, persona))
),

-- a won deal's origin person: the origin lead, else (a deal opened on an account, every
-- deal of a source without leads) its origin contact when that contact is a person;
-- the won deals' looked up by key among the narrow rows of the persons (a join hashed
-- every person)
won_origins as (
    {{ rv_rows_by_key(
        ref('int_scorecard_persons'), 'lead_id',
        'select source_system, origin_person_id as key from opportunities'
        ~ ' where is_won and origin_person_id is not null'
    ) }}
),

won_personas as (
    select
        won.closed_month as month,
        won.owner_team as team,
        grouping(won.owner_team) = 1 as is_company,
        origins.persona,
        count(*) as n
    from opportunities as won
    inner join won_origins as origins
        on
            won.source_system = origins.source_system
            and won.origin_person_id = origins.lead_id
    where won.is_won and origins.persona is not null
    group by
        grouping sets (
            (won.closed_month, origins.persona), (won.closed_month, won.owner_team, origins.persona)
        )
),

persona_sides as (
    select
        'mql' as side,
        *
    from mql_personas
    union all
    select
        'won' as side,
        *
    from won_personas
),

cells as (
    select
        months.month,
        null::text as team,
        true as is_company
    from months
    union all
    select
        months.month,
        teams.team,
        false as is_company
    from months
    cross join teams
),

persona_shares as (
    select
        cells.month,
        cells.team,
        cells.is_company,
        sides.side,
        sides.persona,
        sum(sides.n)::numeric / sum(sum(sides.n)) over (
            partition by cells.month, cells.team, cells.is_company, sides.side
        ) as share
    from cells
    inner join persona_sides as sides
        on
            cells.is_company = sides.is_company
            and (cells.is_company or cells.team = sides.team)
            and sides.month > cells.month - interval '{{ window }} months'
            and cells.month >= sides.month
    group by cells.month, cells.team, cells.is_company, sides.side, sides.persona
),

by_persona as (
    select
        month,
        team,
        is_company,
        persona,
        coalesce(sum(share) filter (where side = 'mql'), 0) as mql_share,
        coalesce(sum(share) filter (where side = 'won'), 0) as won_share
    from persona_shares
    group by month, team, is_company, persona
),

-- null unless both sides have someone in the window
persona_alignment as (
    select
        month,
        team,
        is_company,
        case
            when bool_or(mql_share > 0) and bool_or(won_share > 0)
                then 1 - 0.5 * sum(abs(mql_share - won_share))
        end as persona_alignment_index
    from by_persona
    group by month, team, is_company
),

open_issues as (
    select
        owner_team as team,
        grouping(owner_team) = 1 as is_company,
        count(*) as open_hygiene_issues
    from {{ ref('crm_hygiene_issues') }}
    group by grouping sets ((), (owner_team))
),

targets as (
    select
        month,
        team,
        target
    from {{ ref('int_targets') }}
    where metric = 'mqls'
)

select
    cells.month,
    cells.team,
    cells.month != as_of.as_of_month as is_complete_month,
    case when delivery.mql_delivered then coalesce(mql_figures.mqls, 0) end as mqls,
    targets.target as mql_target,
    case
        when delivery.mql_delivered then
            round(coalesce(mql_figures.mqls, 0) / nullif(targets.target, 0), 4)
    end as mql_attainment,
    round(
        mql_figures.sla_met::numeric / nullif(mql_figures.sla_met + mql_figures.sla_breached, 0), 4
    ) as sla_met_rate,
    round(mql_medians.median_first_touch_hours::numeric, 4) as median_first_touch_hours,
    round(
        mql_figures.accepted::numeric / nullif(mql_figures.accepted + mql_figures.rejected, 0), 4
    ) as acceptance_rate,
    round(mql_figures.converted::numeric / nullif(mql_figures.mqls, 0), 4)
        as mql_to_opportunity_rate,
    case
        when delivery.mql_delivered then
            round(
                created_figures.marketing_sourced_amount
                / nullif(created_figures.pipeline_amount, 0),
                4
            )
    end as marketing_sourced_pipeline_share,
    case
        when delivery.mql_delivered then
            round(
                closed_figures.won_marketing::numeric / nullif(closed_figures.closed_marketing, 0),
                4
            )
    end as win_rate_marketing_sourced,
    case
        when delivery.mql_delivered then
            round(closed_figures.won_sales::numeric / nullif(closed_figures.closed_sales, 0), 4)
    end as win_rate_sales_sourced,
    round(
        closed_figures.closed_with_reason::numeric
        / nullif(closed_figures.closed_with_reason_field, 0),
        4
    ) as win_loss_reason_coverage,
    round(
        person_figures.persons_with_opportunity::numeric / nullif(person_figures.persons, 0), 4
    ) as lead_to_opportunity_rate,
    round(
        closed_figures.won_influenced::numeric / nullif(closed_figures.closed_influenced, 0), 4
    ) as win_rate_influenced,
    round(
        closed_figures.won_not_influenced::numeric
        / nullif(closed_figures.closed_not_influenced, 0),
        4
    ) as win_rate_not_influenced,
    round(closed_figures.median_cycle_influenced::numeric, 4)
        as median_sales_cycle_days_influenced,
    round(closed_figures.median_cycle_not_influenced::numeric, 4)
        as median_sales_cycle_days_not_influenced,
    round(persona_alignment.persona_alignment_index, 4) as persona_alignment_index,
    case
        when cells.month = as_of.as_of_month then coalesce(open_issues.open_hygiene_issues, 0)
    end as open_hygiene_issues,
    as_of.as_of
from cells
cross join as_of
cross join delivery
left join person_figures
    on
        cells.month = person_figures.month
        and cells.is_company = person_figures.is_company
        and (cells.is_company or cells.team = person_figures.team)
left join mql_figures
    on
        cells.month = mql_figures.month
        and cells.is_company = mql_figures.is_company
        and (cells.is_company or cells.team = mql_figures.team)
left join mql_medians
    on
        cells.month = mql_medians.month
        and cells.is_company = mql_medians.is_company
        and (cells.is_company or cells.team = mql_medians.team)
left join created_figures
    on
        cells.month = created_figures.month
        and cells.is_company = created_figures.is_company
        and (cells.is_company or cells.team = created_figures.team)
left join closed_figures
    on
        cells.month = closed_figures.month
        and cells.is_company = closed_figures.is_company
        and (cells.is_company or cells.team = closed_figures.team)
left join persona_alignment
    on
        cells.month = persona_alignment.month
        and cells.is_company = persona_alignment.is_company
        and (cells.is_company or cells.team = persona_alignment.team)
left join open_issues
    on
        cells.is_company = open_issues.is_company
        and (cells.is_company or cells.team = open_issues.team)
left join targets
    on
        cells.month = targets.month
        and (cells.team = targets.team or (cells.is_company and targets.team is null))
