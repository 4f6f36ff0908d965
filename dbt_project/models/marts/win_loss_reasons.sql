{#- Why deals close (METRICS.md, The journey): closed opportunities by month closed,
    outcome, reason, lead source and team (the owner's). A blank reason is the reason
    '(none given)'; a source that never delivered a reason field has the reason null
    (unknown, not "none given": METRICS.md, Delivered, blank and missing). -#}
with closed as (
    select
        opportunities.*,
        opportunities.reason_delivered and coalesce(reasons.delivered, false)
            as reason_field_delivered
    from {{ ref('fct_opportunities') }} as opportunities
    left join {{ ref('int_delivered_fields') }} as reasons
        on
            opportunities.source_system = reasons.source_system
            and reasons.field = 'opportunity.win_loss_reason'
    where opportunities.is_closed
)

select
    {{ rv_month_of('closed_at') }} as month,
    is_won,
    case
        when reason_field_delivered then coalesce(win_loss_reason, '(none given)')
    end as reason,
    lead_source,
    owner_team as team,
    count(*) as opportunities,
    coalesce(sum(amount), 0) as amount
from closed
group by 1, 2, 3, 4, 5
