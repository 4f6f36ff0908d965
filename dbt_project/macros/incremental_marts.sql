{#- Helpers of the incremental marts (fct_lead_funnel, fct_opportunities). They know
    no CRM: what changed is read from the delivery views of the intermediate layer
    (models/intermediate/deliveries: every version of every record each source
    delivered, with its _loaded_at), and the rows to recompute from the int_* views.
    A new source adds its branches there, and nothing here.

    inputs: {name: its delivery view}. When a mart is built, ops.mart_watermarks
    records the newest _loaded_at of each of its inputs, and the as_of
    (rv_record_watermarks). The next build looks for versions loaded after that (new,
    changed and deleted records: raw keeps every version), so loads that land while a
    build runs are picked up by the next one. A source that keeps no versions
    delivers with a null _loaded_at: its records are recomputed in every build.

    The watermarks are read before the build's statement and written into it as
    literals (rv_watermarks): PostgreSQL estimates `_loaded_at > '2026-...'` from the
    raw table's statistics, where a subquery left it guessing a third of the table,
    and at a million leads those guesses chose plans that sorted every table.

    The pre-hook then stages, in analysed temporary tables, the rows of only the
    records the build recomputes: the leads (or opportunities), their activities,
    campaign touches, opportunities and history, each looked up by key in the int_*
    views (macros/lookups.sql) through the staging tables' indexes (lead_id, who_id,
    what_id, ...). The mart's select reads those tables in place of the views
    (rv_lead_funnel_rows, rv_opportunity_rows), with the same SQL as a full build:
    at a million leads it took 1.5 s for 40,000 leads, against 14.7 s reading the
    views. -#}

{#- The inputs of each incremental mart. -#}
{% macro rv_lead_funnel_inputs() -%}
    {{ return({
        'leads': ref('int_lead_deliveries'),
        'contacts': ref('int_contact_deliveries'),
        'roles': ref('int_contact_role_deliveries'),
        'activities': ref('int_activity_deliveries'),
        'touches': ref('int_campaign_touch_deliveries'),
        'opportunities': ref('int_opportunity_deliveries'),
        'users': ref('int_user_deliveries'),
    }) }}
{%- endmacro %}

{% macro rv_opportunity_inputs() -%}
    {{ return({
        'opportunities': ref('int_opportunity_deliveries'),
        'changes': ref('int_opportunity_change_deliveries'),
        'activities': ref('int_activity_deliveries'),
        'leads': ref('int_lead_deliveries'),
        'contacts': ref('int_contact_deliveries'),
        'roles': ref('int_contact_role_deliveries'),
        'touches': ref('int_campaign_touch_deliveries'),
        'users': ref('int_user_deliveries'),
    }) }}
{%- endmacro %}

{#- account_funnel, built per account (macros/changed_groups.sql): its rows follow the
    users too (the owner's team). -#}
{% macro rv_account_funnel_inputs() -%}
    {{ return({'users': ref('int_user_deliveries')}) }}
{%- endmacro %}

{#- Post-hook: the watermarks of this build, in its transaction. -#}
{% macro rv_record_watermarks(inputs) -%}
    insert into ops.mart_watermarks (mart, input, loaded_through)
    values
        ('{{ this.schema }}.{{ this.identifier }}', 'as_of', (select as_of from {{ ref('int_as_of') }})),
        ('{{ this.schema }}.{{ this.identifier }}', 'delivered_fields',
            (select coalesce(max(changed_at), '-infinity') from {{ source('ops', 'delivered_fields') }}))
        {%- for name, deliveries in inputs.items() %},
        ('{{ this.schema }}.{{ this.identifier }}', '{{ name }}', (select max(_loaded_at) from {{ deliveries }}))
        {%- endfor %}
    on conflict (mart, input) do update set loaded_through = excluded.loaded_through
{%- endmacro %}

{#- {name: SQL timestamptz literal} of how far this mart had read each input (and
    as_of) when it was last built; '-infinity' when unknown (everything is then
    recomputed). Also everything_changed: whether as_of moved back, users changed
    (teams, departments, active) or a source delivered a field it never had (or a
    build's mapping lost one: ops.delivered_fields), when every row is recomputed. -#}
{% macro rv_watermarks(inputs) -%}
    {%- set names = ['as_of', 'delivered_fields'] + (inputs.keys() | list) -%}
    {%- set since = {} -%}
    {%- for name in names -%}{%- do since.update({name: "'-infinity'::timestamptz"}) -%}{%- endfor -%}
    {%- if not execute -%}
        {%- do since.update({'everything_changed': false}) -%}
        {{ return(since) }}
    {%- endif -%}
    {%- set read -%}
        select input, loaded_through::text from ops.mart_watermarks
        where mart = '{{ this.schema }}.{{ this.identifier }}' and loaded_through is not null
    {%- endset -%}
    {%- for row in run_query(read).rows -%}
        {%- if row[0] in since -%}{%- do since.update({row[0]: "'" ~ row[1] ~ "'::timestamptz"}) -%}{%- endif -%}
    {%- endfor -%}
    {%- set check -%}
        select
            (select as_of from {{ ref('int_as_of') }}) < {{ since['as_of'] }}
            or exists (
                select 1 from {{ inputs['users'] }}
                where _loaded_at > {{ since['users'] }}
            )
            or exists (
                select 1 from {{ source('ops', 'delivered_fields') }}
                where changed_at > {{ since['delivered_fields'] }}
            )
    {%- endset -%}
    {%- do since.update({'everything_changed': run_query(check).rows[0][0]}) -%}
    {{ return(since) }}
{%- endmacro %}

{#- Query: `columns` of the versions in `deliveries` (a delivery view) loaded after
    `since` (a literal), or delivered by a source that keeps no versions. -#}
{% macro rv_delivered_since(deliveries, since, columns) -%}
    select distinct {{ columns }}
    from {{ deliveries }}
    where _loaded_at > {{ since }} or _loaded_at is null
{%- endmacro %}

{#- Query: every version in `deliveries` of the records that have one delivered since
    `since`: old values matter too (an activity moved to another lead changes both
    leads). Each record's versions are looked up by its key (rv_rows_by_key). -#}
{% macro rv_changed_versions(deliveries, since) -%}
    {%- set keys -%}
        select source_system, record_key as key
        from ({{ rv_delivered_since(deliveries, since, 'source_system, record_key') }}) as delivered
    {%- endset -%}
    {{ rv_rows_by_key(deliveries, 'record_key', keys) }}
{%- endmacro %}

{#- Query: (source_system, person_id) of the lead and the contact of every version of
    the changed campaign touches. -#}
{% macro rv_changed_touch_people(inputs, since) -%}
    select touches.source_system, people.person_id
    from ({{ rv_changed_versions(inputs['touches'], since['touches']) }}) as touches
    cross join lateral (values (touches.lead_id), (touches.contact_id)) as people (person_id)
    where people.person_id is not null
{%- endmacro %}

{#- Statements that (re)create the session's temporary table `name` from `query` and
    analyse it. The incremental marts stage their changed keys this way, step by step
    (a pre-hook, in the model's transaction): each step is then planned on the real
    size of the one before. As one query, every join of a few thousand changed ids
    to a table of millions was estimated at millions of rows (the ids are
    expressions over raw text, which have no statistics), and PostgreSQL sorted whole
    tables for merge joins: more than 8 minutes at a million leads. -#}
{% macro rv_temp_table(name, query) -%}
    {{ return(adapter.dispatch('rv_temp_table', 'revalign')(name, query)) }}
{%- endmacro %}

{% macro default__rv_temp_table(name, query) -%}
    drop table if exists {{ name }};
    create temporary table {{ name }} as {{ query }};
    {{ rv_analyze(name) }};
{%- endmacro %}

{#- The relations fct_lead_funnel reads: in an incremental build, temporary tables of
    only the rows of the leads it recomputes (rv_stage_lead_funnel_rows). -#}
{% macro rv_lead_funnel_rows() -%}
    {%- if is_incremental() -%}
    {{ return({
        'leads': 'rv_lead_funnel_leads',
        'activities': 'rv_lead_funnel_activities',
        'touches': 'rv_lead_funnel_touches',
        'opportunities': 'rv_lead_funnel_opportunities',
    }) }}
    {%- endif -%}
    {{ return({
        'leads': ref('int_persons'),
        'activities': ref('int_activities'),
        'touches': ref('int_campaign_touches'),
        'opportunities': ref('int_opportunities'),
    }) }}
{%- endmacro %}

{#- The relations fct_opportunities (and fct_opportunity_stages) read, likewise
    (rv_stage_opportunity_rows). A full build reads the opportunities and their people
    (origin leads and contacts, contact roles) from temporary tables of every row too,
    and the large tables (touches, activities, history) in place: read as one
    statement over the int_* views, which have no statistics, it was planned on
    guesses (at a million leads its select was estimated at 16.8 million rows for
    243,542). What kept it from finishing at five million leads was the join order of
    the touches (rv_opportunity_touches), not this. A unit test reads its fixtures (no
    pre-hook runs there). -#}
{% macro rv_opportunity_rows() -%}
    {%- set staged = {
        'opportunities': 'rv_opportunities_rows',
        'leads': 'rv_opportunities_origin_leads',
        'contacts': 'rv_opportunities_origin_contacts',
        'roles': 'rv_opportunities_roles',
        'touches': 'rv_opportunities_touches',
        'activities': 'rv_opportunities_activities',
        'changes': 'rv_opportunities_changes',
    } -%}
    {%- if is_incremental() -%}
    {{ return(staged) }}
    {%- endif -%}
    {%- set rows = {
        'opportunities': ref('int_opportunities'),
        'leads': ref('int_leads'),
        'contacts': ref('int_contacts'),
        'roles': ref('int_contact_roles'),
        'touches': ref('int_campaign_touches'),
        'activities': ref('int_activities'),
        'changes': ref('int_opportunity_changes'),
    } -%}
    {%- if model.resource_type == 'model' -%}
    {%- for name in ('opportunities', 'leads', 'contacts', 'roles') -%}
    {%- do rows.update({name: staged[name]}) -%}
    {%- endfor -%}
    {%- endif -%}
    {{ return(rows) }}
{%- endmacro %}

{#- Statements staging the rows of the persons the query `leads` returns (rows of
    int_persons; every person when none), and the activities, campaign touches and
    opportunities of their people (every row of each when every person). -#}
{% macro rv_stage_lead_funnel_rows(leads) -%}
    {%- set rows = rv_lead_funnel_rows() -%}
    {%- set every_row = leads is none -%}
    {%- set people -%}
        select source_system, person_id as key from ({{ rv_lead_people(rows.leads) }}) as people
    {%- endset -%}
    {%- set opportunities -%}
        select source_system, converted_opportunity_id as key from {{ rows.leads }}
    {%- endset -%}
    {{ rv_temp_table(rows.leads, leads or rv_rows_by_key(ref('int_persons'), 'lead_id', none, true)) }}
    {{ rv_temp_table(rows.activities, rv_rows_by_key(ref('int_activities'), 'who_id', people, every_row)) }}
    {{ rv_temp_table(rows.touches, rv_touches_of_leads(rows.leads, every_row)) }}
    {{ rv_temp_table(rows.opportunities, rv_rows_by_key(ref('int_opportunities'), 'opportunity_id', opportunities, every_row)) }}
{%- endmacro %}

{#- Statements staging the rows of the opportunities in rv_opportunities_changed: the
    opportunity, its origin lead, its contact roles, the campaign touches of its
    people, its history, and with_activities its origin contact and activities
    (fct_opportunity_stages reads neither) (every row of each when every_row). -#}
{% macro rv_stage_opportunity_rows(every_row, with_activities) -%}
    {%- set rows = rv_opportunity_rows() -%}
    {%- set ids -%}
        select source_system, opportunity_id as key from {{ rows.opportunities }}
    {%- endset -%}
    {{ rv_temp_table(rows.opportunities, rv_rows_by_key(ref('int_opportunities'), 'opportunity_id',
        'select source_system, opportunity_id as key from rv_opportunities_changed', every_row)) }}
    {{ rv_temp_table(rows.leads, rv_rows_by_key(ref('int_leads'), 'lead_id',
        'select source_system, origin_lead_id as key from ' ~ rows.opportunities, every_row)) }}
    {{ rv_temp_table(rows.roles, rv_rows_by_key(ref('int_contact_roles'), 'opportunity_id', ids, every_row)) }}
    {%- if with_activities %}
    {{ rv_temp_table(rows.contacts, rv_rows_by_key(ref('int_contacts'), 'contact_id',
        'select source_system, origin_contact_id as key from ' ~ rows.opportunities, every_row)) }}
    {%- endif %}
    {%- set people -%}
        select source_system, person_id as key from ({{ rv_lead_people(rows.leads) }}) as people
        union all
        select source_system, contact_id from {{ rows.roles }}
    {%- endset %}
    {#- a full build reads these in place (rv_opportunity_rows) -#}
    {%- if rows.touches is string %}
    {{ rv_temp_table(rows.touches, rv_touches_of_people(people, every_row)) }}
    {%- endif %}
    {%- if with_activities and rows.activities is string %}
    {{ rv_temp_table(rows.activities, rv_rows_by_key(ref('int_activities'), 'what_id', ids, every_row)) }}
    {%- endif %}
    {%- if rows.changes is string %}
    {{ rv_temp_table(rows.changes, rv_rows_by_key(ref('int_opportunity_changes'), 'opportunity_id', ids, every_row)) }}
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of fct_lead_funnel: the rows of the persons an incremental build
    recomputes (their record, activities, campaign touches, contact roles or
    opportunity changed), staged with what they read (rv_stage_lead_funnel_rows), and
    rv_lead_funnel_delivered of the persons delivered since the last build (with the
    converted contacts of changed leads, which stop or start being persons)
    (rv_drop_missing). The persons found from what changed are read with their rows
    in one lookup; those found otherwise (a lead of a changed contact or opportunity,
    a pending SLA) in a second one, without the first's. When everything changed,
    every row of the mart counts as delivered and every person's rows are staged. -#}
{% macro rv_stage_changed_leads(inputs) -%}
    {%- if not is_incremental() -%}
    select 1
    {%- else -%}
    {%- set since = rv_watermarks(inputs) -%}
    {%- if since['everything_changed'] -%}
    {#- every row is recomputed (rv_stage_lead_funnel_rows) and checked for deletion -#}
    {{ rv_temp_table('rv_lead_funnel_delivered', 'select source_system, lead_id as record_id from ' ~ this) }}
    {{ rv_stage_lead_funnel_rows(none) }}
    {%- else -%}
    {%- set opportunities -%}
        select source_system, opportunity_id as key
        from ({{ rv_delivered_since(inputs['opportunities'], since['opportunities'], 'source_system, opportunity_id') }}) as opportunities
    {%- endset -%}
    {%- set touched_people -%}
        select activities.source_system, activities.who_id as person_id
        from ({{ rv_changed_versions(inputs['activities'], since['activities']) }}) as activities
        where activities.who_id is not null
        union
        {{ rv_changed_touch_people(inputs, since) }}
        union
        -- a contact role added, moved or removed: its contact's opportunity
        select roles.source_system, roles.contact_id
        from ({{ rv_changed_versions(inputs['roles'], since['roles']) }}) as roles
        union
        -- an opportunity changed (created, deleted): the contacts with a role on it
        select roles.source_system, roles.contact_id
        from ({{ rv_rows_by_key(ref('int_contact_roles'), 'opportunity_id', opportunities) }}) as roles
    {%- endset -%}
    {%- set delivered -%}
        {{ rv_delivered_since(inputs['leads'], since['leads'], 'source_system, lead_id as record_id') }}
        union
        {{ rv_delivered_since(inputs['contacts'], since['contacts'], 'source_system, contact_id') }}
        union
        -- the converted contact of a lead is no person of its own, unless that lead is gone
        select leads.source_system, leads.converted_contact_id
        from ({{ rv_changed_versions(inputs['leads'], since['leads']) }}) as leads
        where leads.converted_contact_id is not null
    {%- endset -%}
    {%- set changed_ids -%}
        select source_system, record_id as key from rv_lead_funnel_delivered
        union all
        select source_system, person_id from rv_lead_funnel_people
    {%- endset -%}
    {%- set contacts -%}
        select source_system, person_id as key from rv_lead_funnel_people
    {%- endset -%}
    {%- set other_ids -%}
        select source_system, lead_id as key
        from ({{ rv_rows_by_key(ref('int_leads'), 'converted_contact_id', contacts) }}) as leads
        union
        select source_system, lead_id
        from ({{ rv_rows_by_key(ref('int_leads'), 'converted_opportunity_id', opportunities) }}) as leads
        union
        -- their SLA status moves with as_of
        select source_system, lead_id from {{ this }} where sla_status = 'pending'
        except
        select source_system, key from ({{ changed_ids }}) as found
    {%- endset -%}
    {%- set leads -%}
        {{ rv_rows_by_key(ref('int_persons'), 'lead_id', changed_ids) }}
        union all
        {{ rv_rows_by_key(ref('int_persons'), 'lead_id', other_ids) }}
    {%- endset -%}
    {{ rv_temp_table('rv_lead_funnel_delivered', delivered) }}
    {{ rv_temp_table('rv_lead_funnel_people', touched_people) }}
    {{ rv_stage_lead_funnel_rows(leads) }}
    {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of fct_opportunities: the temporary table rv_opportunities_changed of
    (source_system, opportunity_id) of the opportunities an incremental build
    recomputes: the opportunity, its activities or history changed, or its origin
    lead (sourcing) or that lead's campaign touches (influence); and
    rv_opportunities_delivered (rv_drop_missing); then the rows of those
    opportunities (rv_stage_opportunity_rows). When everything changed, as for
    fct_lead_funnel. -#}
{% macro rv_stage_changed_opportunities(inputs) -%}
    {%- if not is_incremental() -%}
    {{ rv_stage_opportunity_rows(true, true) }}
    {%- else -%}
    {%- set since = rv_watermarks(inputs) -%}
    {%- if since['everything_changed'] -%}
    {#- every row is recomputed (rv_stage_opportunity_rows) and checked for deletion -#}
    {{ rv_temp_table('rv_opportunities_delivered', 'select source_system, opportunity_id as record_id from ' ~ this) }}
    {%- else -%}
    {%- set people -%}
        select source_system, person_id as key from rv_opportunities_people
    {%- endset -%}
    {%- set changed_contacts -%}
        select source_system, contact_id
        from ({{ rv_delivered_since(inputs['contacts'], since['contacts'], 'source_system, contact_id') }}) as contacts
    {%- endset -%}
    {%- set touched_opportunities -%}
        select activities.source_system, activities.what_id as opportunity_id
        from ({{ rv_changed_versions(inputs['activities'], since['activities']) }}) as activities
        union
        select changes.source_system, changes.opportunity_id
        from ({{ rv_changed_versions(inputs['changes'], since['changes']) }}) as changes
        union
        select leads.source_system, leads.converted_opportunity_id
        from ({{ rv_changed_versions(inputs['leads'], since['leads']) }}) as leads
        union
        select source_system, record_id from rv_opportunities_delivered
        union
        select source_system, converted_opportunity_id
        from ({{ rv_rows_by_key(ref('int_leads'), 'lead_id', people) }}) as leads
        union
        select source_system, converted_opportunity_id
        from ({{ rv_rows_by_key(ref('int_leads'), 'converted_contact_id', people) }}) as leads
        union
        -- a role added, moved or removed (its people, its origin contact)
        select roles.source_system, roles.opportunity_id
        from ({{ rv_changed_versions(inputs['roles'], since['roles']) }}) as roles
        union
        -- a contact with a role on it touched
        select roles.source_system, roles.opportunity_id
        from ({{ rv_rows_by_key(ref('int_contact_roles'), 'contact_id', people) }}) as roles
        union
        -- a contact with a role on it changed (MQL date) or deleted: every role naming it,
        -- read from the role versions (a deleted contact's roles name nobody any more)
        select roles.source_system, roles.opportunity_id
        from {{ inputs['roles'] }} as roles
        inner join ({{ changed_contacts }}) as contacts
            on roles.source_system = contacts.source_system and roles.contact_id = contacts.contact_id
    {%- endset -%}
    {%- set touched -%}
        select source_system, opportunity_id as key
        from rv_opportunities_touched
        where opportunity_id is not null
    {%- endset -%}
    {%- set changed -%}
        select source_system, opportunity_id
        from ({{ rv_rows_by_key(ref('int_opportunities'), 'opportunity_id', touched) }}) as opportunities
    {%- endset -%}
    {{ rv_temp_table('rv_opportunities_delivered', rv_delivered_since(inputs['opportunities'], since['opportunities'], 'source_system, opportunity_id as record_id')) }}
    {{ rv_temp_table('rv_opportunities_people', rv_changed_touch_people(inputs, since)) }}
    {{ rv_temp_table('rv_opportunities_touched', touched_opportunities) }}
    {{ rv_temp_table('rv_opportunities_changed', changed) }}
    {%- endif %}
    {{ rv_stage_opportunity_rows(since['everything_changed'], true) }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of fct_opportunity_stages: it recomputes the opportunities `upstream`
    (fct_opportunities) wrote or dropped since its own last build
    (rv_written_since_built), not by watching the deliveries again: that mart rewrites
    a deal whenever anything its entries read can have changed (the deal, its history,
    its origin lead, its contact roles, its people's campaign touches; a source that
    starts or stops delivering the stage history), and records the deals it drops.
    Their rows are deleted here (every row when everything is recomputed), then the
    rows of those still current staged in rv_opportunities_changed's temporary tables
    (rv_stage_opportunity_rows). A full build stages every row. -#}
{% macro rv_stage_opportunities_written(upstream) -%}
    {%- if not is_incremental() -%}
    {{ rv_stage_opportunity_rows(true, false) }}
    {%- else -%}
    {%- set since = rv_written_since_built(upstream, 'opportunity_id') -%}
    {{ rv_stage_written(since, 'opportunity_id', 'rv_opportunities_written') }};
    {{ rv_temp_table('rv_opportunities_changed', 'select source_system, key as opportunity_id from rv_opportunities_written') }}
    {{ rv_stage_opportunity_rows(since.everything, false) }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: rows whose record is no longer current (deleted at the source) leave.
    Only records delivered since the last build can have been deleted: those in the
    pre-hook's temporary table `delivered`. Every one of them that still exists is
    among the records the build recomputed, whose rows the pre-hook staged in
    `staged` (rv_lead_funnel_rows, rv_opportunity_rows: all current records when
    everything changed), so a delivered record missing there is gone: an anti-join of
    two analysed temporary tables, whatever their size. -#}
{% macro rv_drop_missing(staged, id_column, delivered) -%}
    {%- if is_incremental() -%}
    {%- set condition -%}
        (mart.source_system, mart.{{ id_column }}) in (select source_system, record_id from {{ delivered }})
        and not exists (
            select 1 from {{ staged }} as records
            where records.source_system = mart.source_system and records.{{ id_column }} = mart.{{ id_column }}
        )
    {%- endset -%}
    {{ adapter.dispatch('rv_delete_dropped', 'revalign')(id_column, condition) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- The delete of rv_drop_missing; where the warehouse can, it also records what it
    dropped (ops.dropped_rows), for the models built from this one
    (rv_stage_written_since_built). -#}
{% macro default__rv_delete_dropped(id_column, condition) -%}
    delete from {{ this }} as mart
    where {{ condition }}
{%- endmacro %}
