{#- Records of a staging model with a field whose non-empty value could not be cast
    to its declared type (listed in _invalid_fields). One test, one count of the
    model's rows: it warns when there is any such record, and fails when they are more
    than max_share of the model's rows (default: var cast_failure_error_share; 0 fails
    on any). Each record it returns carries that verdict (1 warn, 2 fail), which
    fail_calc reads. The records are kept as they are, their unreadable fields null. -#}
{% test cast_failures(model, max_share=none) %}
{{ config(fail_calc='coalesce(max(verdict), 0)', warn_if='>0', error_if='>1') }}
{%- set share = var('cast_failure_error_share') if max_share is none else max_share %}
with counts as (
    select
        count(*) filter (where cardinality(_invalid_fields) > 0) as failed,
        count(*) as total
    from {{ model }}
)

select
    records._key,
    records._invalid_fields,
    case when counts.failed > {{ share }} * counts.total then 2 else 1 end as verdict
from {{ model }} as records
cross join counts
where
    cardinality(records._invalid_fields) > 0
    -- a condition on the count alone: PostgreSQL reads the records only when there are
    -- some, so a model without any is read once, not twice
    and (select counts_once.failed from counts as counts_once) > 0
{% endtest %}
