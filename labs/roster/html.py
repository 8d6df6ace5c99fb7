"""The roster as one self-contained HTML page for the compliance owner and the instructors.

Inline CSS and inline SVG only: no script, no web font, no CDN, so it opens from an email
attachment or an air-gapped share and renders the same everywhere. Every learner-provided text
(names, departments, comments) goes through :func:`html.escape`.
"""
from __future__ import annotations

import datetime as dt
from html import escape
from statistics import mean, median

from labs.manifest import TIERS
from labs.roster.rules import STATUSES, Roster

STATUS_COLOURS = {"compliant": "#2e7d32", "due-soon": "#f9a825", "overdue": "#c62828",
                  "in-progress": "#1565c0", "not-started": "#757575"}
HARD_PASS_RATE = 0.3  # below this, an exercise is too hard or broken: look at it first

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#212121;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #eee}
.meta{color:#616161}.cards{display:flex;gap:.8rem;flex-wrap:wrap;margin:1rem 0}
.card{border-radius:8px;padding:.7rem 1rem;min-width:8.5rem;color:#fff}
.card .count{font-size:1.8rem;font-weight:700;display:block}.card.total{background:#37474f}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{border:1px solid #e0e0e0;padding:.3rem .55rem;
text-align:left;vertical-align:top}th{background:#fafafa}td.num,th.num{text-align:right}
.heat td.num{color:#111;min-width:5.5rem}.warn{color:#c62828;font-weight:600}.muted{color:#9e9e9e}
svg text{font-size:12px;fill:#212121}.flags{color:#6a1b9a}section{margin-bottom:1rem}
"""


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"


def _bar_chart(items: list[tuple[str, float, str, str]], maximum: float, label_width: int = 190,
               width: int = 720, title: str = "") -> str:
    """Horizontal bars: (label, value, colour, text shown after the bar)."""
    row, bar_space = 24, width - label_width - 90
    height = row * len(items) + 8
    parts = [f'<svg width="{width}" height="{height}" role="img" '
             f'aria-label="{_e(title)}" viewBox="0 0 {width} {height}">']
    for i, (label, value, colour, text) in enumerate(items):
        y = 4 + i * row
        length = 0 if maximum <= 0 else max(0.0, bar_space * value / maximum)
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{_e(label)}</text>'
                     f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="{row - 6}" '
                     f'fill="{colour}" rx="3"/>'
                     f'<text x="{label_width + length + 6:.1f}" y="{y + 15}">{_e(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(percent: float | None, pass_mark: float) -> str:
    """Red (0 %) through amber to green (at or above the pass mark)."""
    if percent is None:
        return "#f5f5f5"
    share = min(1.0, percent / (100 * pass_mark))
    if percent >= 100 * pass_mark:
        return "#a5d6a7"
    red, green = 239, int(83 + (202 - 83) * share)
    return f"rgb({red},{green},{int(80 + 40 * share)})"


def _totals(roster: Roster) -> str:
    summary = roster.summary()
    cards = [f'<div class="card total"><span class="count" id="total-learners">{summary["learners"]}</span>'
             'learners</div>']
    for status in STATUSES:
        count = summary["by_status"][status]
        cards.append(f'<div class="card" style="background:{STATUS_COLOURS[status]}" data-status="{status}">'
                     f'<span class="count" id="count-{status}">{count}</span>{status}</div>')
    chart = _bar_chart([(s, summary["by_status"][s], STATUS_COLOURS[s], str(summary["by_status"][s]))
                        for s in STATUSES], max(summary["by_status"].values(), default=0), title="Learners by status")
    # Required tier x status.
    head = "".join(f'<th class="num">{s}</th>' for s in STATUSES)
    body = []
    for tier, name in TIERS.items():
        cells = "".join(f'<td class="num" data-tier="{tier}" data-status="{s}">'
                        f'{roster.count(required_tier=tier, status=s)}</td>' for s in STATUSES)
        body.append(f"<tr><th>{tier} · {_e(name)}</th>{cells}"
                    f'<td class="num">{roster.count(required_tier=tier)}</td></tr>')
    achieved = summary["by_tier_achieved"]
    tier_chart = _bar_chart([(("none" if t == "none" else f"{t} · {TIERS[t]}"), n, "#5c6bc0", str(n))
                             for t, n in achieved.items()], max(achieved.values(), default=0),
                            title="Learners by tier achieved")
    return (f'<section id="totals"><h2>Totals</h2><div class="cards">{"".join(cards)}</div>{chart}'
            f'<h3>By required tier</h3><table id="tier-status"><tr><th>required tier</th>{head}'
            f'<th class="num">all</th></tr>{"".join(body)}</table>'
            f'<h3>Tier achieved</h3><div id="tier-achieved">{tier_chart}</div></section>')


def _departments(roster: Roster) -> str:
    departments = roster.summary()["by_department"]
    items = []
    for department, counts in departments.items():
        share = counts["compliant"] / counts["learners"]
        colour = "#2e7d32" if share >= 0.9 else "#f9a825" if share >= 0.6 else "#c62828"
        items.append((department, 100 * share, colour,
                      f"{100 * share:.0f} % ({counts['compliant']}/{counts['learners']})"))
    chart = _bar_chart(items, 100, title="Compliance by department") if items else "<p>No learners.</p>"
    return ('<section id="departments"><h2>Compliance by department</h2>'
            '<p class="meta">compliant or due-soon, of all learners in the department</p>'
            f"{chart}</section>")


def _heatmap(roster: Roster) -> str:
    by_department: dict[str, dict[str, list[float]]] = {}
    for row in roster.rows:
        scores = by_department.setdefault(row.department or "(unknown)", {c: [] for c in roster.competencies})
        for competency, score in row.scores.items():
            if score is not None:
                scores[competency].append(score)
    pass_mark = roster.policy["pass_mark"]
    head = "".join(f'<th class="num">{_e(c)}</th>' for c in roster.competencies)
    body = []
    for department, scores in sorted(by_department.items()):
        cells = []
        for competency in roster.competencies:
            values = scores[competency]
            average = mean(values) if values else None
            cells.append(f'<td class="num" style="background:{_heat_colour(average, pass_mark)}" '
                         f'title="{len(values)} learner(s)">{_pct(average)}</td>')
        body.append(f"<tr><th>{_e(department)}</th>{''.join(cells)}</tr>")
    return ('<section id="heatmap"><h2>Competency heatmap</h2>'
            '<p class="meta">mean score per department and competency, over the exercises at or below each '
            f'learner\'s required tier; green at or above the pass mark ({100 * pass_mark:.0f} %)</p>'
            f'<table class="heat"><tr><th>department</th>{head}</tr>{"".join(body)}</table></section>')


def _attention(roster: Roster) -> str:
    sections = []
    for status, title in (("overdue", "Overdue"), ("due-soon", "Due soon")):
        rows = sorted((r for r in roster.rows if r.status == status), key=lambda r: (r.expiry or dt.date.min, r.name))
        if not rows:
            sections.append(f'<h3>{title}</h3><p id="list-{status}" data-count="0">Nobody.</p>')
            continue
        lines = []
        for row in rows:
            days = (row.expiry - roster.as_of).days if row.expiry else None
            when = "" if days is None else (f"{-days} days ago" if days < 0 else f"in {days} days")
            lines.append(f"<tr><td>{_e(row.name)}</td><td>{_e(row.email)}</td><td>{_e(row.department)}</td>"
                         f"<td>{_e(row.required_tier)}</td><td>{_e(row.expiry)}</td><td>{when}</td></tr>")
        sections.append(f'<h3>{title} ({len(rows)})</h3><table id="list-{status}" data-count="{len(rows)}">'
                        "<tr><th>name</th><th>email</th><th>department</th><th>required tier</th><th>expiry</th>"
                        f"<th>expires</th></tr>{''.join(lines)}</table>")
    return f'<section id="attention"><h2>Who needs to act</h2>{"".join(sections)}</section>'


def _flags(roster: Roster) -> str:
    rows = [r for r in roster.rows if r.flags]
    summary = roster.summary()
    intro = (f'<p><span id="not-in-directory">{summary["not_in_directory"]}</span> learner(s) in the gradebook but '
             f'not the HR directory; <span id="not-in-gradebook">{summary["not_in_gradebook"]}</span> in the HR '
             "directory but not the gradebook.</p>")
    if not rows:
        return f'<section id="flags"><h2>Flags</h2>{intro}<p>No flags.</p></section>'
    lines = "".join(f"<tr><td>{_e(r.learner_id)}</td><td>{_e(r.name)}</td><td>{_e(r.status)}</td>"
                    f'<td class="flags">{"<br>".join(_e(f) for f in r.flags)}</td></tr>' for r in rows)
    return (f'<section id="flags"><h2>Flags ({len(rows)})</h2>{intro}<table><tr><th>id</th><th>name</th>'
            f"<th>status</th><th>flags</th></tr>{lines}</table></section>")


def _exercises(roster: Roster) -> str:
    lines = []
    for e in roster.exercises:
        rate = e.pass_rate
        if rate is None:
            bar, note = '<span class="muted">no graded submission</span>', ""
        else:
            bar = (f'<svg width="120" height="12"><rect width="120" height="12" '
                   f'fill="#eeeeee"/><rect width="{120 * rate:.1f}" height="12" '
                   f'fill="{"#c62828" if rate < HARD_PASS_RATE else "#2e7d32"}"/></svg> {100 * rate:.0f} %')
            note = '<span class="warn">too hard or broken?</span>' if rate < HARD_PASS_RATE else ""
        mean_score = "" if not e.graded else f"{100 * e.mean_score / e.points:.0f} %"
        lines.append(f"<tr><td>{_e(e.assignment)}</td><td>{_e(e.grade_id)}</td><td>{e.tier}</td>"
                     f'<td>{_e(e.competency)}</td><td class="num">{e.points:g}</td><td class="num">{e.graded}</td>'
                     f'<td>{bar}</td><td class="num">{mean_score}</td><td>{note}</td></tr>')
    return ('<section id="exercises"><h2>Exercises: pass rates across the cohort</h2>'
            '<p class="meta">pass = full points on the graded cell, over graded submissions (before late '
            f'penalties); below {100 * HARD_PASS_RATE:.0f} % the exercise is flagged for review</p>'
            "<table><tr><th>assignment</th><th>graded cell</th><th>tier</th><th>competency</th>"
            '<th class="num">points</th><th class="num">graded</th><th>pass rate</th><th class="num">mean</th>'
            f"<th></th></tr>{''.join(lines)}</table></section>")


def _feedback(roster: Roster) -> str:
    by_lab: dict[str, list] = {}
    for item in roster.feedback:
        by_lab.setdefault(item.assignment, []).append(item)
    summary = []
    for assignment, items in by_lab.items():
        minutes = [f.minutes_spent for f in items if f.minutes_spent is not None]
        difficulty = [f.difficulty for f in items if f.difficulty is not None]
        summary.append(f'<tr><td>{_e(assignment)}</td><td class="num">{len(items)}</td>'
                       f'<td class="num">{f"{median(minutes):g}" if minutes else "–"}</td>'
                       f'<td class="num">{f"{mean(difficulty):.1f}" if difficulty else "–"}</td></tr>')
    comments = "".join(f"<tr><td>{_e(f.assignment)}</td><td>{_e(f.learner_id)}</td>"
                       f'<td class="num">{"" if f.minutes_spent is None else f"{f.minutes_spent:g}"}</td>'
                       f'<td class="num">{"" if f.difficulty is None else f.difficulty}</td>'
                       f"<td>{_e(f.comments)}</td></tr>"
                       for f in roster.feedback if f.comments)
    if not roster.feedback:
        body = '<p id="feedback-count" data-count="0">No feedback yet.</p>'
    else:
        body = (f'<p id="feedback-count" data-count="{len(roster.feedback)}">{len(roster.feedback)} response(s).</p>'
                '<table><tr><th>lab</th><th class="num">responses</th><th class="num">median minutes</th>'
                f'<th class="num">mean difficulty (1–5)</th></tr>{"".join(summary)}</table>'
                + (f"<table><tr><th>lab</th><th>learner</th><th class=\"num\">minutes</th><th class=\"num\">"
                   f"difficulty</th><th>comments</th></tr>{comments}</table>" if comments else ""))
    return ('<section id="feedback"><h2>What learners said</h2>'
            "<p class=\"meta\">from each lab's last, ungraded cell</p>" + body + "</section>")


def render(roster: Roster) -> str:
    policy = roster.policy
    meta = (f"as of <time id=\"as-of\" datetime=\"{roster.as_of.isoformat()}\">{roster.as_of.isoformat()}</time> · "
            f"curriculum {_e(roster.curriculum_version)} · pass mark {100 * policy['pass_mark']:.0f} % · "
            f"renewal every {policy['renewal_days']} days, due soon within {policy['due_soon_days']} days")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            # No network: forbid every external fetch, and scripts altogether.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>AI Safety Labs proficiency roster {roster.as_of.isoformat()}</title><style>{CSS}</style></head>"
            f"<body><h1>AI Safety Labs — proficiency roster</h1><p class=\"meta\">{meta}</p>"
            + _totals(roster) + _departments(roster) + _heatmap(roster) + _attention(roster) + _flags(roster)
            + "<h2 style=\"margin-top:3rem\">Instructor insight</h2>" + _exercises(roster) + _feedback(roster)
            + "</body></html>\n")
