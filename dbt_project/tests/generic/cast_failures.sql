{#- Records of a staging model with a field whose non-empty value could not be cast
    to its declared type (listed in _invalid_fields). Fails when they are more than
    max_share of the model's rows; with max_share 0 (and severity warn) it reports
    any. The records are kept as they are, their unreadable fields null. -#}
{% test cast_failures(model, max_share=0) %}
with counts as (
    select
        count(*) filter (where cardinality(_invalid_fields) > 0) as failed,
        count(*) as total
    from {{ model }}
)

select
    records._key,
    records._invalid_fields
from {{ model }} as records
cross join counts
where cardinality(records._invalid_fields) > 0 and counts.failed > {{ max_share }} * counts.total
{% endtest %}
