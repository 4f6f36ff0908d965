{#- Plan targets: month (first day), metric (mqls, opportunities, won_amount), team
    (null = whole company). -#}
select
    month,
    metric,
    team,
    target
from {{ ref('stg_plan__targets') }}
where {{ rv_readable() }}
