"""The marts' figures in the shape of the generator's ``truth.json``, for comparison."""

from __future__ import annotations

from collections import Counter, defaultdict

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
    records = {
        "leads": query("select count(*) from marts.fct_lead_funnel")[0][0],
        "opportunities": query("select count(*) from marts.fct_opportunities")[0][0],
    }
    return {"funnel": funnel, "hygiene": hygiene, "records": records}


def truth_figures(truth: dict) -> dict:
    funnel: defaultdict[tuple, Counter] = defaultdict(Counter)
    for row in truth["funnel"]:
        key = (row["month"], row["lead_source"])
        funnel[key].update({k: v for k, v in row.items() if k not in ("month", "lead_source")})
    return {
        "funnel": funnel,
        "hygiene": {rule: n for rule, n in truth["hygiene"].items() if n},
        "records": {k: truth["records"][k] for k in ("leads", "opportunities")},
    }


def differences(expected: dict, actual: dict) -> list[str]:
    """Human-readable differences; empty when the marts agree with the truth."""
    found = []
    for key in ("records", "hygiene"):
        for name in sorted(set(expected[key]) | set(actual[key])):
            want, got = expected[key].get(name, 0), actual[key].get(name, 0)
            if want != got:
                found.append(f"{key} {name}: truth {want}, marts {got}")
    cells = set(expected["funnel"]) | set(actual["funnel"])
    for cell in sorted(cells, key=lambda c: (c[0], c[1] or "")):
        want = +expected["funnel"].get(cell, Counter())
        got = +actual["funnel"].get(cell, Counter())
        for name in sorted(set(want) | set(got)):
            if want[name] != got[name]:
                found.append(f"funnel {cell} {name}: truth {want[name]}, marts {got[name]}")
    return found
