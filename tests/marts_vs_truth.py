"""The marts' figures in the shape of the generator's ``truth.json``, for comparison."""

from __future__ import annotations

from collections import Counter, defaultdict

from revalign.generator.truth import ACCOUNT_FIGURES as ACCOUNTS

FUNNEL_SQL = {
    "leads": """
        select to_char(created_at at time zone 'UTC', 'YYYY-MM'), lead_source, count(*)
        from marts.fct_lead_funnel group by 1, 2""",
    "mqls": """
        select to_char(mql_at at time zone 'UTC', 'YYYY-MM'), lead_source, count(*)
        from marts.fct_lead_funnel where mql_at is not null group by 1, 2""",
    "sla": """
        select to_char(mql_at at time zone 'UTC', 'YYYY-MM'), lead_source, 'sla_' || sla_status,
            count(*)
        from marts.fct_lead_funnel where mql_at is not null group by 1, 2, 3""",
    "acceptance": """
        select to_char(mql_at at time zone 'UTC', 'YYYY-MM'), lead_source,
            case acceptance_status when 'open' then 'acceptance_open' else acceptance_status end,
            count(*)
        from marts.fct_lead_funnel where mql_at is not null group by 1, 2, 3""",
    "opportunities": """
        select to_char(created_at at time zone 'UTC', 'YYYY-MM'), lead_source, count(*)
        from marts.fct_opportunities group by 1, 2""",
    "won": """
        select to_char(close_date, 'YYYY-MM'), lead_source, count(*), sum(coalesce(amount, 0))
        from marts.fct_opportunities where is_won group by 1, 2""",
}


RECORDS = ("persons", "leads", "contacts", "opportunities")
RECORDS_SQL = """
    select
        (select count(*) from marts.fct_lead_funnel),
        (select count(*) from marts.fct_lead_funnel where person_type = 'lead'),
        (select count(*) from marts.fct_lead_funnel where person_type = 'contact'),
        (select count(*) from marts.fct_opportunities)"""
ORIGINS_SQL = """
    select coalesce(origin_person_type, 'none'), count(*)
    from marts.fct_opportunities group by 1"""
SOURCING = ("marketing_sourced", "sales_sourced", "marketing_influenced")
SOURCING_SQL = """
    select
        count(*) filter (where is_marketing_sourced),
        count(*) filter (where not is_marketing_sourced),
        count(*) filter (where is_marketing_influenced)
    from marts.fct_opportunities"""
ATTRIBUTION_SQL = """
    select attribution_model, campaign_id, round(attributed_amount * 100)::bigint
    from marts.campaign_attribution where attributed_amount > 0"""
ACCOUNTS_SQL = """
    select
        count(*), coalesce(sum(people), 0), coalesce(sum(mqls), 0),
        coalesce(sum(opportunities), 0), coalesce(sum(open_pipeline_amount), 0),
        coalesce(sum(won_amount), 0), count(*) filter (where is_customer),
        count(*) filter (where is_marketing_influenced),
        count(days_first_touch_to_opportunity),
        coalesce(sum(days_first_touch_to_opportunity), 0)
    from marts.account_funnel"""
#: The journey (truth.json "journey"), each row keyed by its grain.
JOURNEY_SQL = {
    "opportunity_stages": """
        select source_system, stage_name, count(*), count(*) filter (where is_current),
            count(days_in_stage),
            coalesce(sum(extract(epoch from exited_at - entered_at)), 0)::bigint,
            sum(touches_during_stage)::bigint
        from marts.fct_opportunity_stages group by 1, 2""",
    "stage_conversion": """
        select source_system, to_char(month, 'YYYY-MM'), stage_name, opportunities_created,
            opportunities_reached, won, median_days_to_reach::float8
        from marts.stage_conversion""",
    "win_loss_reasons": """
        select to_char(month, 'YYYY-MM'), is_won, reason, lead_source, team, opportunities,
            amount::bigint
        from marts.win_loss_reasons""",
    "scorecard": """
        select to_char(month, 'YYYY-MM'), lead_to_opportunity_rate::float8,
            win_rate_influenced::float8, win_rate_not_influenced::float8,
            median_sales_cycle_days_influenced::float8,
            median_sales_cycle_days_not_influenced::float8
        from marts.alignment_scorecard where team is null""",
}
JOURNEY_KEYS = {
    "opportunity_stages": ("source_system", "stage_name"),
    "stage_conversion": ("source_system", "month", "stage_name"),
    "win_loss_reasons": ("month", "is_won", "reason", "lead_source", "team"),
    "scorecard": ("month",),
}
JOURNEY_FIGURES = {
    "opportunity_stages": (
        "entries",
        "current",
        "with_days_in_stage",
        "seconds_in_stage",
        "touches_during_stage",
    ),
    "stage_conversion": (
        "opportunities_created",
        "opportunities_reached",
        "won",
        "median_days_to_reach",
    ),
    "win_loss_reasons": ("opportunities", "amount"),
    "scorecard": (
        "lead_to_opportunity_rate",
        "win_rate_influenced",
        "win_rate_not_influenced",
        "median_sales_cycle_days_influenced",
        "median_sales_cycle_days_not_influenced",
    ),
}


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def truth_journey(journey: dict) -> dict:
    """truth.json's journey in the marts' shape: {section: {key: {figure: value}}}."""
    found = {}
    for section, keys in JOURNEY_KEYS.items():
        rows = {}
        for row in journey[section]:
            figures = dict(row)
            if section == "scorecard":
                figures = {
                    "lead_to_opportunity_rate": _rate(
                        row["persons_with_opportunity"], row["persons"]
                    ),
                    "win_rate_influenced": _rate(row["won_influenced"], row["closed_influenced"]),
                    "win_rate_not_influenced": _rate(
                        row["won_not_influenced"], row["closed_not_influenced"]
                    ),
                    "median_sales_cycle_days_influenced": row["median_sales_cycle_days_influenced"],
                    "median_sales_cycle_days_not_influenced": row[
                        "median_sales_cycle_days_not_influenced"
                    ],
                }
            rows[tuple(row[k] for k in keys)] = {k: figures[k] for k in JOURNEY_FIGURES[section]}
        found[section] = rows
    return found


def marts_journey(query) -> dict:
    found = {}
    for section, sql in JOURNEY_SQL.items():
        width = len(JOURNEY_KEYS[section])
        found[section] = {
            tuple(row[:width]): dict(zip(JOURNEY_FIGURES[section], row[width:], strict=True))
            for row in query(sql)
        }
    return found


def journey_differences(expected: dict, actual: dict) -> list[str]:
    """Where the marts' journey differs from the truth's (medians and rates to 4
    decimals). A scorecard month the truth does not know must have no figure."""
    found = []
    for section, want_rows in expected.items():
        got_rows = actual[section]
        for key in sorted(set(want_rows) | set(got_rows), key=str):
            want, got = want_rows.get(key), got_rows.get(key)
            if want is None and section == "scorecard":
                want = dict.fromkeys(JOURNEY_FIGURES[section])
            if want is None or got is None:
                found.append(f"journey {section} {key}: truth {want}, marts {got}")
                continue
            for name, value in want.items():
                if not _same(value, got[name]):
                    found.append(
                        f"journey {section} {key} {name}: truth {value}, marts {got[name]}"
                    )
    return found


def _same(want, got) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return abs(float(want) - float(got)) < 0.00011


#: The notices to sales due (the view the notices read), as truth.json lists them.
NOTICES_SQL = """
    select source_system, campaign_id, owner_id, account_id, owner_is_active
    from intermediate.check_campaign_notices"""
NOTICE_SIDES = ("notices", "notices_to_the_data_team")

#: The sections besides funnel and hygiene that compare as {name: number}.
FLAT_SECTIONS = ("records", "opportunities_by_origin", "sourcing", "accounts")


def marts_figures(query) -> dict:
    """``query(sql) -> rows``; returns {"hygiene": {...}, "funnel": [...], "records": {...}}."""
    funnel: defaultdict[tuple, Counter] = defaultdict(Counter)
    for name in ("leads", "mqls", "opportunities"):
        for month, source, count in query(FUNNEL_SQL[name]):
            funnel[(month, source)][name] += count
    for name in ("sla", "acceptance"):
        for month, source, figure, count in query(FUNNEL_SQL[name]):
            funnel[(month, source)][figure] += count
    for month, source, count, amount in query(FUNNEL_SQL["won"]):
        funnel[(month, source)]["won"] += count
        funnel[(month, source)]["won_amount"] += int(amount)
    hygiene = dict(query("select rule, count(*) from marts.crm_hygiene_issues group by 1"))
    records = dict(zip(RECORDS, query(RECORDS_SQL)[0], strict=True))
    attribution: defaultdict[str, dict] = defaultdict(dict)
    for model, campaign, cents in query(ATTRIBUTION_SQL):
        attribution[model][campaign] = cents
    return {
        "funnel": funnel,
        "hygiene": hygiene,
        "records": records,
        "opportunities_by_origin": dict(query(ORIGINS_SQL)),
        "sourcing": dict(zip(SOURCING, query(SOURCING_SQL)[0], strict=True)),
        "attribution": dict(attribution),
        "accounts": {k: int(v) for k, v in zip(ACCOUNTS, query(ACCOUNTS_SQL)[0], strict=True)},
        "journey": marts_journey(query),
        "notices": {
            side: {tuple(row[:4]) for row in query(NOTICES_SQL) if row[4] == (side == "notices")}
            for side in NOTICE_SIDES
        },
    }


def truth_figures(truth: dict) -> dict:
    funnel: defaultdict[tuple, Counter] = defaultdict(Counter)
    for row in truth["funnel"]:
        key = (row["month"], row["lead_source"])
        funnel[key].update({k: v for k, v in row.items() if k not in ("month", "lead_source")})
    return {
        "funnel": funnel,
        "hygiene": {rule: n for rule, n in truth["hygiene"].items() if n},
        "records": {k: truth["records"][k] for k in RECORDS},
        "opportunities_by_origin": {k: v for k, v in truth["opportunities_by_origin"].items() if v},
        "sourcing": truth["sourcing"],
        "attribution": {
            model: credits for model, credits in truth["attribution"].items() if credits
        },
        "accounts": truth["accounts"],
        "journey": truth_journey(truth["journey"]),
        "notices": {side: {tuple(n) for n in truth[side]} for side in NOTICE_SIDES},
    }


def differences(expected: dict, actual: dict) -> list[str]:
    """Human-readable differences; empty when the marts agree with the truth."""
    found = []
    for key in ("hygiene", *FLAT_SECTIONS):
        for name in sorted(set(expected[key]) | set(actual[key])):
            want, got = expected[key].get(name, 0), actual[key].get(name, 0)
            if want != got:
                found.append(f"{key} {name}: truth {want}, marts {got}")
    for model in sorted(set(expected["attribution"]) | set(actual["attribution"])):
        want, got = expected["attribution"].get(model, {}), actual["attribution"].get(model, {})
        for campaign in sorted(set(want) | set(got)):
            if want.get(campaign, 0) != got.get(campaign, 0):
                found.append(
                    f"attribution {model} {campaign}: truth {want.get(campaign, 0)} cents, "
                    f"marts {got.get(campaign, 0)}"
                )
    found += journey_differences(expected["journey"], actual["journey"])
    for side in NOTICE_SIDES:
        for notice in sorted(expected["notices"][side] ^ actual["notices"][side]):
            where = "truth" if notice in expected["notices"][side] else "the view"
            found.append(f"{side} {notice}: only in {where}")
    cells = set(expected["funnel"]) | set(actual["funnel"])
    for cell in sorted(cells, key=lambda c: (c[0], c[1] or "")):
        want = +expected["funnel"].get(cell, Counter())
        got = +actual["funnel"].get(cell, Counter())
        for name in sorted(set(want) | set(got)):
            if want[name] != got[name]:
                found.append(f"funnel {cell} {name}: truth {want[name]}, marts {got[name]}")
    return found
