{#- Pre-hook of staging and mart models: no JIT compilation in this model's
    transaction. PostgreSQL compiles a statement whose estimated cost passes
    jit_above_cost; the estimates of these statements are often far too high (a
    lookup of a few thousand keys, rules unnested per lead), and at a million leads
    compiling took 0.2 to 2.6 s a statement, for nothing: a full staging build took
    the same time without it (36.7 and 38.2 s against 37.1 and 36.9 s). -#}
{% macro rv_without_jit() -%}
    {{ return(adapter.dispatch('rv_without_jit', 'revalign')()) }}
{%- endmacro %}

{#- Elsewhere: nothing to turn off. -#}
{% macro default__rv_without_jit() -%}
    select 1
{%- endmacro %}

{#- Pre-hook (the last one) of an incremental model whose select reads only the small
    tables its pre-hook staged: no nested loops in that select. Joined through common
    table expressions, whose sizes PostgreSQL guesses, the staged rows were estimated at
    a few dozen and joined row by row: at five million leads fct_opportunity_stages'
    select took 52.4 s for the 21,603 deals of a batch (626 million comparisons), 0.97 s
    with hash joins. A full build is left to the planner. -#}
{% macro rv_without_nested_loops() -%}
    {%- if not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {{ return(adapter.dispatch('rv_without_nested_loops', 'revalign')()) }}
{%- endmacro %}

{% macro default__rv_without_nested_loops() -%}
    select 1
{%- endmacro %}

{#- Pre-hook of a mart that groups millions of rows into a few hundred cells: no sorts
    in this model's transaction unless nothing else can do (an ordered-set aggregate
    such as percentile_cont still sorts its input). PostgreSQL guesses the number of
    cells from each column's statistics, not from their combination (months by team
    by stage), takes millions, and sorts every row to group them: at five million
    leads stage_conversion spent 15 of its 21 s sorting seven million rows on disk,
    hashed in a few hundred cells it takes 12 s in all. -#}
{% macro rv_hash_aggregates() -%}
    {{ return(adapter.dispatch('rv_hash_aggregates', 'revalign')()) }}
{%- endmacro %}

{% macro default__rv_hash_aggregates() -%}
    select 1
{%- endmacro %}

{#- Post-hook of staging and mart models: analyse the table just built when it has
    no statistics yet (built anew) or a tenth of its rows changed since it last had
    them. The models after it in the same build are planned on them, and autovacuum
    would bring them a minute later. An incremental build that changed a few rows
    skips it (about half a second a table at a million leads). -#}
{% macro rv_analyze_when_stale() -%}
    {{ return(adapter.dispatch('rv_analyze_when_stale', 'revalign')()) }}
{%- endmacro %}

{#- Elsewhere: the warehouse keeps its own statistics. -#}
{% macro default__rv_analyze_when_stale() -%}
    select 1
{%- endmacro %}

{#- Statement: refresh the planner's statistics of `relation` (a table just built or
    indexed). -#}
{% macro rv_analyze(relation) -%}
    {{ return(adapter.dispatch('rv_analyze', 'revalign')(relation)) }}
{%- endmacro %}

{% macro default__rv_analyze(relation) -%}
    select 1
{%- endmacro %}
