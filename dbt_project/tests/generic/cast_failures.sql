{#- Records of a staging model with a field whose non-empty value could not be cast
    to its declared type (listed in _invalid_fields). It warns when there is any such
    record, and fails when they are more than max_share of the model's rows (default:
    var cast_failure_error_share; 0 fails on any). Each record it returns carries that
    verdict (1 warn, 2 fail), which fail_calc reads. The records are kept as they are,
    their unreadable fields null. -#}
{% test cast_failures(model, max_share=none) %}
{{ config(fail_calc='coalesce(max(verdict), 0)', warn_if='>0', error_if='>1') }}
{%- set share = var('cast_failure_error_share') if max_share is none else max_share %}
-- found through a partial index where the model has one (rv_index_exceptions)
with failed as (
    select
        _key,
        _invalid_fields
    from {{ model }}
    where cardinality(_invalid_fields) > 0
)

select
    failed._key,
    failed._invalid_fields,
    -- the model's rows are counted only when some failed: PostgreSQL computes a
    -- subquery like this one when a row first needs it, and a model with no failed
    -- record has no row
    case
        when (select count(*) from failed) > {{ share }} * (select count(*) from {{ model }})
            then 2
        else 1
    end as verdict
from failed
{% endtest %}
