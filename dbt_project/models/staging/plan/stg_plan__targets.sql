with targets as ({{ rv_newest_records('plan', 'targets') }})

select
    month,
    lower(trim(metric)) as metric,
    nullif(trim(team), '') as team,
    target,
    _key,
    _invalid_fields,
    _loaded_at,
    _file,
    _row_number
from targets
