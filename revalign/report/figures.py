"""The alignment report's numbers, read from the marts (and nothing else).

Each question of the report is a :class:`Section`: its charts' data, a one-line reading
in words and the table of the numbers drawn. A section whose figures need a funnel field
no loaded source delivered says so (METRICS.md, "Delivered, blank and missing") instead
of drawing an empty chart; a field missing for some sources only is a caveat under it.

Periods: the headline compares the 7 days ending at ``as_of`` with the 7 days before,
with the scorecard's definitions (an MQL counts in the week of its ``mql_at``; SLA and
acceptance rates over those MQLs; pipeline by opportunity creation; won amount by close).
The charts show the scorecard's months, the last ``MONTHS`` up to the month of ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from revalign.settings import ConnectionInfo
from revalign.warehouse import db, deliveries

MONTHS = 6
TOP = 8
WEEK = timedelta(days=7)
NO_REASON = "(none given)"
UNKNOWN_REASON = "unknown (no reason field)"


@dataclass
class Chart:
    """What one chart draws: ``kind`` bars, lines or hbars; ``series`` name -> values
    along ``categories``; ``marks`` (bars only) name -> a target per category."""

    title: str
    kind: str
    categories: list[str]
    series: dict[str, list[float | None]]
    unit: str = ""  # "", "%", "h", "d" or a currency-less amount "amount"
    marks: dict[str, list[float | None]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.categories or all(
            v is None for values in self.series.values() for v in values
        )


@dataclass
class Table:
    headers: list[str]
    rows: list[list]


@dataclass
class Section:
    key: str
    question: str
    reading: str = ""
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # why nothing is drawn
    caveats: list[str] = field(default_factory=list)  # sources left out of what is drawn


@dataclass
class Headline:
    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str = ""


@dataclass
class Report:
    as_of: datetime
    week_start: datetime
    headlines: list[Headline]
    sections: list[Section]
    sources: list[str]


def gather(conn: ConnectionInfo, as_of: datetime) -> Report:
    """Every number of the report as of ``as_of``."""
    found = deliveries.stored(conn)
    loaded = sorted({d.source for d in found if d.object_delivered})
    with db.connect(conn) as pg, pg.cursor() as cur:
        return _gather(cur, as_of, found, loaded)


def _gather(cur, as_of, found, loaded) -> Report:
    months = _months(cur, as_of)
    sections = [
        _leads_enough(cur, months, as_of),
        _follow_up(cur, months, as_of),
        _lead_quality(cur, months, as_of),
        _pipeline(cur, months, as_of),
        _campaigns(cur),
        _win_loss(cur, months),
        _persona(cur, months, as_of),
        _hygiene(cur),
    ]
    for section in sections:
        _mark_missing(section, found, loaded)
    return Report(as_of, as_of - WEEK, _headlines(cur, as_of), sections, loaded)


# --- what a section needs ------------------------------------------------------------

#: The funnel fields each section's figures read (seed funnel_fields names them); a need
#: is a field and its alternatives: a person's MQL date is a lead's or a contact's
#: (HubSpot's persons are contacts), so a source meets it with either.
MQL_DATE = ("lead.mql_at", "contact.mql_at")
NEEDS: dict[str, list[tuple[str, ...]]] = {
    "leads": [MQL_DATE],
    "follow_up": [MQL_DATE, ("activity.who_id",)],
    "quality": [MQL_DATE, ("lead.status", "contact.status")],
    "pipeline": [("opportunity.amount",)],
    "campaigns": [("touch.campaign_id",)],
    "win_loss": [("opportunity.is_closed",)],
    "persona": [MQL_DATE],
    "hygiene": [],
}


def _mark_missing(section: Section, found: list[deliveries.Delivery], loaded: list[str]) -> None:
    """Unavailable when no loaded source meets a need; a caveat per source that does not
    when others do."""
    by_field = {(item.source, item.field): item for item in found}
    missing: dict[str, list[str]] = {}
    for source in loaded:
        for need in NEEDS[section.key]:
            items = [by_field[(source, f)] for f in need if (source, f) in by_field]
            if not items or any(item.delivered for item in items):
                continue
            # the alternative the source could deliver (it has columns for it), else the first
            item = next((i for i in items if i.columns), items[0])
            missing.setdefault(source, []).append(_never_delivered(item))
    if not missing:
        return
    said = [f"{source}: {'; '.join(dict.fromkeys(lines))}" for source, lines in missing.items()]
    if set(missing) == set(loaded):
        section.unavailable = said
        section.charts, section.tables, section.reading = [], [], ""
    else:
        section.caveats = [f"Without {line}" for line in said]


def _never_delivered(item: deliveries.Delivery) -> str:
    words = deliveries.funnel_fields().get(item.field, {"words": item.field})["words"]
    if not item.columns:  # the source's exports have no such field at all (Olist: no activities)
        return f"its exports have no {words}"
    if not item.object_delivered:
        return f"no {' or '.join(f'{o}.csv' for o in item.objects)} delivered yet"
    line = f"no {words} delivered ({', '.join(item.columns)})"
    if item.settings:
        line += f", map it with {' or '.join(dict.fromkeys(item.settings))}"
    return line


# --- the headline -----------------------------------------------------------------


def _headlines(cur, as_of: datetime) -> list[Headline]:
    week = _week_figures(cur, as_of - WEEK, as_of)
    before = _week_figures(cur, as_of - 2 * WEEK, as_of - WEEK)
    labels = {
        "mqls": ("MQLs", ""),
        "sla_met_rate": ("followed up within the SLA", "%"),
        "acceptance_rate": ("accepted by sales", "%"),
        "pipeline_created": ("pipeline created", "amount"),
        "marketing_sourced_pipeline": ("marketing-sourced pipeline", "amount"),
        "won_amount": ("won", "amount"),
    }
    found = [
        Headline(key, label, week[key], before[key], unit) for key, (label, unit) in labels.items()
    ]
    cur.execute("select count(*) from marts.crm_hygiene_issues")
    found.append(
        Headline("open_hygiene_issues", "open CRM hygiene issues", cur.fetchone()[0], None)
    )
    return found


def _week_figures(cur, start: datetime, end: datetime) -> dict[str, float | None]:
    cur.execute(
        """
        select
            count(*),
            count(*) filter (where sla_status = 'met')::numeric
                / nullif(count(*) filter (where sla_status in ('met', 'breached')), 0),
            count(*) filter (where acceptance_status = 'accepted')::numeric
                / nullif(count(*) filter (where acceptance_status in ('accepted', 'rejected')), 0)
        from marts.fct_lead_funnel
        where mql_at > %(start)s and mql_at <= %(end)s
        """,
        {"start": start, "end": end},
    )
    mqls, sla, acceptance = cur.fetchone()
    cur.execute(
        """
        select
            sum(amount) filter (where created_at > %(start)s and created_at <= %(end)s),
            sum(amount) filter (
                where created_at > %(start)s and created_at <= %(end)s and is_marketing_sourced
            ),
            sum(amount) filter (where is_won and closed_at > %(start)s and closed_at <= %(end)s)
        from marts.fct_opportunities
        """,
        {"start": start, "end": end},
    )
    created, sourced, won = cur.fetchone()
    return {
        "mqls": mqls,
        "sla_met_rate": _number(sla),
        "acceptance_rate": _number(acceptance),
        "pipeline_created": _number(created or 0),
        "marketing_sourced_pipeline": _number(sourced or 0),
        "won_amount": _number(won or 0),
    }


# --- the questions ------------------------------------------------------------------


def _months(cur, as_of: datetime) -> list[date]:
    cur.execute(
        "select distinct month from marts.alignment_scorecard "
        "where month <= date_trunc('month', %s at time zone 'UTC')::date "
        "order by month desc limit %s",
        (as_of, MONTHS),
    )
    return sorted(row[0] for row in cur.fetchall())


def _scorecard(cur, months: list[date], *figures: str) -> dict[str | None, dict[date, dict]]:
    """team (None = whole company) -> month -> {figure: value} for ``months``."""
    if not months:
        return {}
    cur.execute(
        f"select team, month, {', '.join(figures)} from marts.alignment_scorecard "
        "where month = any(%s) order by team nulls first, month",
        (months,),
    )
    rows: dict[str | None, dict[date, dict]] = {}
    for team, month, *values in cur.fetchall():
        rows.setdefault(team, {})[month] = {
            name: _number(v) for name, v in zip(figures, values, strict=True)
        }
    return rows


def _by_team(
    table: dict[str | None, dict[date, dict]], months: list[date], figure: str, scale: float = 1
) -> dict[str, list[float | None]]:
    """One series per team (the whole company first, as "all teams")."""
    series = {}
    for team, by_month in table.items():
        values = [by_month.get(m, {}).get(figure) for m in months]
        series["all teams" if team is None else team] = [
            None if v is None else v * scale for v in values
        ]
    return series


def _month_names(months: list[date], as_of: datetime) -> list[str]:
    """Month labels; the month of as_of is "to date" (not complete)."""
    current = as_of.astimezone(UTC).date().replace(day=1)
    return [f"{m:%b %Y}" + (" to date" if m == current else "") for m in months]


def _last_complete(cur, months: list[date]) -> date | None:
    if not months:
        return None
    cur.execute(
        "select max(month) from marts.alignment_scorecard "
        "where team is null and is_complete_month and month = any(%s)",
        (months,),
    )
    return cur.fetchone()[0]


def _leads_enough(cur, months: list[date], as_of: datetime) -> Section:
    section = Section("leads", "Does marketing send enough leads?")
    table = _scorecard(cur, months, "mqls", "mql_target", "mql_attainment")
    teams = {team: rows for team, rows in table.items() if team is not None}
    shown = teams or table
    section.charts.append(
        Chart(
            "MQLs by month and team (marks: the target)",
            "bars",
            _month_names(months, as_of),
            _by_team(shown, months, "mqls"),
            marks=_by_team(shown, months, "mql_target"),
        )
    )
    rows = [
        [f"{m:%b %Y}", team or "all teams", v["mqls"], v["mql_target"], _pct(v["mql_attainment"])]
        for team, by_month in table.items()
        for m, v in by_month.items()
    ]
    section.tables.append(Table(["month", "team", "MQLs", "target", "attainment"], rows))
    month = _last_complete(cur, months) or (months[-1] if months else None)
    company = table.get(None, {}).get(month)
    if company and company["mqls"] is not None:
        reading = f"In {month:%B %Y} marketing sent {company['mqls']:,.0f} MQLs"
        if company["mql_target"]:
            reading += (
                f" against a target of {company['mql_target']:,.0f} "
                f"({_pct(company['mql_attainment'])})"
            )
            behind = [
                (rows[month]["mql_attainment"], team)
                for team, rows in teams.items()
                if month in rows and rows[month]["mql_attainment"] is not None
            ]
            if behind:
                low, team = min(behind)
                reading += f"; furthest behind: {team} at {_pct(low)}"
        else:
            reading += " (no MQL target delivered for that month: Targets.csv)"
        section.reading = reading + "."
    return section


def _follow_up(cur, months: list[date], as_of: datetime) -> Section:
    section = Section("follow_up", "Does sales follow up in time?")
    table = _scorecard(cur, months, "sla_met_rate", "median_first_touch_hours")
    names = _month_names(months, as_of)
    section.charts += [
        Chart("MQLs followed up within the SLA", "lines", names,
              _by_team(table, months, "sla_met_rate", 100), unit="%"),
        Chart("Median hours from MQL to first sales touch", "lines", names,
              _by_team(table, months, "median_first_touch_hours"), unit="h"),
    ]  # fmt: skip
    section.tables.append(
        Table(
            ["month", "team", "SLA met", "median first touch (h)"],
            [
                [
                    f"{m:%b %Y}",
                    team or "all teams",
                    _pct(v["sla_met_rate"]),
                    _hours(v["median_first_touch_hours"]),
                ]
                for team, by_month in table.items()
                for m, v in by_month.items()
            ],
        )
    )
    month = _last_complete(cur, months)
    company = table.get(None, {}).get(month)
    if company and company["sla_met_rate"] is not None:
        section.reading = (
            f"In {month:%B %Y} sales followed up {_pct(company['sla_met_rate'])} of MQLs "
            f"within the SLA; the median first touch came after "
            f"{_hours(company['median_first_touch_hours'])} hours."
        )
    return section


def _lead_quality(cur, months: list[date], as_of: datetime) -> Section:
    section = Section("quality", "Are the leads good?")
    table = _scorecard(cur, months, "acceptance_rate", "mql_to_opportunity_rate")
    names = _month_names(months, as_of)
    section.charts.append(
        Chart("MQLs accepted by sales", "lines", names,
              _by_team(table, months, "acceptance_rate", 100), unit="%")
    )  # fmt: skip
    start = months[0] if months else as_of.date()
    cur.execute(
        """
        select coalesce(reason, %s), sum(rejected_mqls)::int
        from marts.lead_rejection_reasons where month = any(%s)
        group by 1 order by 2 desc, 1 limit %s
        """,
        (UNKNOWN_REASON, months, TOP),
    )
    reasons = cur.fetchall()
    if reasons:
        section.charts.append(
            Chart(f"Why sales rejected MQLs (since {start:%b %Y})", "hbars",
                  [r for r, _ in reasons], {"rejected MQLs": [n for _, n in reasons]})
        )  # fmt: skip
    section.tables += [
        Table(
            ["month", "team", "accepted", "MQL to opportunity"],
            [
                [f"{m:%b %Y}", team or "all teams", _pct(v["acceptance_rate"]),
                 _pct(v["mql_to_opportunity_rate"])]
                for team, by_month in table.items()
                for m, v in by_month.items()
            ],
        ),
        Table(["rejection reason", "MQLs"], [list(r) for r in reasons]),
    ]  # fmt: skip
    month = _last_complete(cur, months)
    company = table.get(None, {}).get(month)
    if company and company["acceptance_rate"] is not None:
        reading = f"In {month:%B %Y} sales accepted {_pct(company['acceptance_rate'])} of MQLs"
        if reasons:
            reading += f"; the most common rejection: {reasons[0][0]} ({reasons[0][1]:,})"
        section.reading = reading + "."
    return section


def _pipeline(cur, months: list[date], as_of: datetime) -> Section:
    section = Section("pipeline", "What did marketing bring?")
    cur.execute(
        """
        select date_trunc('month', created_at)::date as month,
            coalesce(sum(amount) filter (where is_marketing_sourced), 0),
            coalesce(sum(amount) filter (
                where is_marketing_influenced and not is_marketing_sourced), 0),
            coalesce(sum(amount) filter (
                where not is_marketing_sourced and not is_marketing_influenced), 0)
        from marts.fct_opportunities
        where date_trunc('month', created_at)::date = any(%s)
        group by 1 order by 1
        """,
        (months,),
    )
    by_month = {m: [_number(v) for v in values] for m, *values in cur.fetchall()}
    parts = ["marketing-sourced", "influenced by marketing", "sales alone"]
    series = {part: [by_month.get(m, [0, 0, 0])[i] for m in months] for i, part in enumerate(parts)}
    table = _scorecard(cur, months, "win_rate_marketing_sourced", "win_rate_sales_sourced",
                       "win_rate_influenced", "win_rate_not_influenced")  # fmt: skip
    company = table.get(None, {})
    names = _month_names(months, as_of)
    section.charts += [
        Chart("Pipeline created by month, by who brought it", "stacked", names, series,
              unit="amount"),
        Chart("Win rate of deals closed in the month", "lines", names, {
            "marketing-sourced": [_scaled(company.get(m, {}).get("win_rate_marketing_sourced"))
                                  for m in months],
            "sales-sourced": [_scaled(company.get(m, {}).get("win_rate_sales_sourced"))
                              for m in months],
            "influenced": [_scaled(company.get(m, {}).get("win_rate_influenced"))
                           for m in months],
        }, unit="%"),
    ]  # fmt: skip
    section.tables.append(
        Table(
            ["month", *parts],
            [[name, *(series[p][i] for p in parts)] for i, name in enumerate(names)],
        )
    )
    total = sum(sum(v or 0 for v in values) for values in series.values())
    if total:
        sourced = sum(v or 0 for v in series["marketing-sourced"])
        influenced = sourced + sum(v or 0 for v in series["influenced by marketing"])
        section.reading = (
            f"Since {months[0]:%B %Y} marketing sourced {sourced / total:.0%} of the "
            f"{format_figure(total, 'amount')} pipeline created and touched "
            f"{influenced / total:.0%} of it."
        )
    return section


MODELS = ["first_touch", "last_touch", "linear", "position_based", "time_decay"]


def _campaigns(cur) -> Section:
    section = Section("campaigns", "Which campaigns pay?")
    cur.execute(
        """
        with ranked as (
            select campaign_id, source_system, attributed_amount
            from marts.campaign_attribution where attribution_model = 'linear'
            order by attributed_amount desc, campaign_id limit %s
        )
        select coalesce(p.campaign_name, a.campaign_id), a.attribution_model, a.attributed_amount
        from marts.campaign_attribution as a
        join ranked using (campaign_id, source_system)
        left join marts.campaign_performance as p using (campaign_id, source_system)
        order by ranked.attributed_amount desc, a.campaign_id
        """,
        (TOP,),
    )
    rows = cur.fetchall()
    names = list(dict.fromkeys(name for name, _, _ in rows))
    credit = {(name, model): _number(amount) for name, model, amount in rows}
    models = [m for m in MODELS if any((n, m) in credit for n in names)]
    section.charts.append(
        Chart("Won amount credited to each campaign, by attribution model", "hbars", names,
              {m.replace("_", " "): [credit.get((n, m)) for n in names] for m in models},
              unit="amount")
    )  # fmt: skip
    cur.execute(
        """
        select campaign_name, channel, actual_cost, won_amount, roi from marts.campaign_performance
        where roi is not null order by roi desc, campaign_id limit %s
        """,
        (TOP,),
    )
    roi = cur.fetchall()
    if roi:
        section.charts.append(
            Chart("Return on the campaign's cost (linear attribution)", "hbars",
                  [r[0] for r in roi], {"ROI": [_scaled(r[4]) for r in roi]}, unit="%")
        )  # fmt: skip
    section.tables += [
        Table(["campaign", *models], [[n, *(credit.get((n, m)) for m in models)] for n in names]),
        Table(["campaign", "channel", "cost", "won amount", "ROI"],
              [[r[0], r[1], _number(r[2]), _number(r[3]), _pct(r[4])] for r in roi]),
    ]  # fmt: skip
    if names:
        reading = f"{names[0]} earned the most under linear attribution"
        if roi:
            reading += f"; {roi[0][0]} returned the most on its cost ({_pct(roi[0][4])})"
        section.reading = reading + "."
    return section


def _win_loss(cur, months: list[date]) -> Section:
    section = Section("win_loss", "Why do deals close?")
    cur.execute(
        """
        select is_won, coalesce(reason, %s), sum(opportunities)
        from marts.win_loss_reasons where month = any(%s)
        group by 1, 2 order by 1 desc, 3 desc, 2
        """,
        (UNKNOWN_REASON, months),
    )
    rows = cur.fetchall()
    for won, label in ((True, "won"), (False, "lost")):
        reasons = [(r, n) for w, r, n in rows if w is won][:TOP]
        if reasons:
            section.charts.append(
                Chart(f"Why deals were {label} (since {months[0]:%b %Y})", "hbars",
                      [r for r, _ in reasons], {f"deals {label}": [n for _, n in reasons]})
            )  # fmt: skip
    section.tables.append(
        Table(["outcome", "reason", "deals"], [["won" if w else "lost", r, n] for w, r, n in rows])
    )
    lost = [(r, n) for w, r, n in rows if not w]
    if lost:
        total = sum(n for _, n in lost)
        blank = sum(n for r, n in lost if r == NO_REASON)
        top = next((item for item in lost if item[0] != NO_REASON), None)
        reading = f"{total:,} deals were lost since {months[0]:%B %Y}"
        if top:
            reading += f"; the most common reason: {top[0]} ({top[1]:,})"
        reading += f"; {blank / total:.0%} gave no reason"
        section.reading = reading + "."
    return section


def _persona(cur, months: list[date], as_of: datetime) -> Section:
    section = Section("persona", "Do we agree on the buyer?")
    table = _scorecard(cur, months, "persona_alignment_index")
    names = _month_names(months, as_of)
    section.charts.append(
        Chart("Persona alignment index (1 = marketing's MQLs look like the buyers who sign)",
              "lines", names, _by_team(table, months, "persona_alignment_index"))
    )  # fmt: skip
    window = deliveries.dbt_var("persona_window_months")
    cur.execute(
        """
        with window_ as (
            select (date_trunc('month', %(as_of)s at time zone 'UTC')
                - make_interval(months => %(window)s - 1)) as start_at
        ),
        mqls as (
            select persona, count(*) as n from marts.fct_lead_funnel, window_
            where mql_at >= start_at and mql_at <= %(as_of)s group by 1
        ),
        won as (
            select funnel.persona, count(*) as n
            from marts.fct_opportunities as opportunities
            join marts.fct_lead_funnel as funnel
                on opportunities.origin_person_id = funnel.lead_id
                and opportunities.source_system = funnel.source_system,
                window_
            where opportunities.is_won and opportunities.closed_at >= start_at
                and opportunities.closed_at <= %(as_of)s
            group by 1
        )
        select coalesce(mqls.persona, won.persona),
            coalesce(mqls.n, 0)::numeric / nullif(sum(mqls.n) over (), 0),
            coalesce(won.n, 0)::numeric / nullif(sum(won.n) over (), 0)
        from mqls full join won on mqls.persona = won.persona
        order by 2 desc nulls last, 1
        """,
        {"as_of": as_of, "window": window},
    )
    shares = [(p or "unknown", _scaled(m), _scaled(w)) for p, m, w in cur.fetchall()]
    if shares:
        section.charts.append(
            Chart(f"Persona of MQLs and of won deals' leads (last {window} months)", "hbars",
                  [p for p, _, _ in shares],
                  {"share of MQLs": [m for _, m, _ in shares],
                   "share of won deals": [w for _, _, w in shares]}, unit="%")
        )  # fmt: skip
    section.tables += [
        Table(
            ["month", "team", "persona alignment index"],
            [[f"{m:%b %Y}", team or "all teams", _ratio(v["persona_alignment_index"])]
             for team, by_month in table.items() for m, v in by_month.items()],
        ),
        Table(["persona", "share of MQLs (%)", "share of won deals (%)"],
              [list(s) for s in shares]),
    ]  # fmt: skip
    month = _last_complete(cur, months)
    company = table.get(None, {}).get(month)
    if company and company["persona_alignment_index"] is not None:
        reading = f"The persona alignment index was {_ratio(company['persona_alignment_index'])} "
        reading += f"in {month:%B %Y}"
        gaps = [(abs((m or 0) - (w or 0)), p, m or 0, w or 0) for p, m, w in shares]
        if gaps:
            _, persona, mql_share, won_share = max(gaps)
            reading += (
                f"; the widest gap: {persona}, {mql_share:.0f} % of MQLs but "
                f"{won_share:.0f} % of won deals"
            )
        section.reading = reading + "."
    return section


def _hygiene(cur) -> Section:
    section = Section("hygiene", "Is the CRM kept?")
    cur.execute("select rule, count(*) from marts.crm_hygiene_issues group by 1 order by 2 desc, 1")
    rules = cur.fetchall()
    cur.execute(
        """
        select coalesce(owner_name, owner_id), records_with_issues, records_owned
        from marts.owner_hygiene_scorecard where records_with_issues > 0
        order by records_with_issues desc, owner_id limit %s
        """,
        (TOP,),
    )
    owners = cur.fetchall()
    if rules:
        section.charts.append(
            Chart("Open issues by rule", "hbars", [r for r, _ in rules],
                  {"open issues": [n for _, n in rules]})
        )  # fmt: skip
    if owners:
        section.charts.append(
            Chart("Owners with the most records with issues", "hbars", [o[0] for o in owners],
                  {"records with issues": [o[1] for o in owners]})
        )  # fmt: skip
    section.tables += [
        Table(["rule", "open issues"], [list(r) for r in rules]),
        Table(["owner", "records with issues", "records owned"], [list(o) for o in owners]),
    ]
    total = sum(n for _, n in rules)
    if total:
        reading = (
            f"{total:,} hygiene issues are open; the most common: {rules[0][0]} ({rules[0][1]:,})"
        )
        if owners:
            reading += f"; {owners[0][0]} owns the most records with issues ({owners[0][1]:,})"
        section.reading = reading + "."
    else:
        section.reading = "No hygiene issue is open."
    return section


# --- formatting ------------------------------------------------------------------


def _number(value) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _scaled(value) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def format_figure(value, unit: str = "") -> str:
    """A figure as the page, its tables' readings and the Slack summary show it."""
    if value is None:
        return "-"
    if unit == "%":
        return f"{float(value):.0%}"
    if unit == "amount":
        return f"{float(value):,.0f}"
    return f"{value:,}"


def plain_number(value: float) -> str:
    """A number with thousands separators, at most two decimals, none when whole."""
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def _pct(value) -> str:
    return format_figure(value, "%")


def _ratio(value) -> str:
    return "-" if value is None else f"{float(value):.2f}"


def _hours(value) -> str:
    return "-" if value is None else f"{float(value):.1f}"
