"""The printable benchmark page: one star (radar) chart per case, drawn as inline SVG."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from cmtk.output.render import check_self_contained
from cmtk.output.userfiles import write_replacing
from cmtk.store.paths import bundled_dir

COLOURS = ((1.0, "#2e7d32"), (0.75, "#f9a825"), (0.5, "#ef6c00"), (0.0, "#c62828"))  # green, yellow, orange, red


def _point(index: int, count: int, radius: float, centre: float = 100.0) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return centre + radius * math.cos(angle), centre + radius * math.sin(angle)


def star_svg(domains) -> str:
    """Each axis is a domain; the filled shape is score/max, the dashed ring the pass mark."""
    count = len(domains)
    if count < 3:
        return ""
    outer = 80.0
    # The labels sit outside the star: the view box leaves room on every side, and a label at the
    # left or right is anchored towards the star, so no label is cut at the edge ("conomic 7/7").
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-45 -12 290 224" role="img" aria-label="benchmark star">'
    ]
    for level in (0.25, 0.5, 0.75, 1.0):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (_point(i, count, outer * level) for i in range(count)))
        parts.append(f'<polygon points="{ring}" fill="none" stroke="#999" stroke-width="0.4"/>')
    passing = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (_point(i, count, outer * d.pass_mark / d.max) for i, d in enumerate(domains))
    )
    parts.append(f'<polygon points="{passing}" fill="none" stroke="#000" stroke-width="0.6" stroke-dasharray="3,2"/>')
    share = sum(min(d.score / d.pass_mark, 1.0) for d in domains) / count
    colour = next(c for limit, c in COLOURS if share >= limit)
    shape = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (_point(i, count, outer * d.score / d.max) for i, d in enumerate(domains))
    )
    parts.append(f'<polygon points="{shape}" fill="{colour}" fill-opacity="0.45" stroke="{colour}" stroke-width="1"/>')
    for i, domain in enumerate(domains):
        x, y = _point(i, count, outer + 8)
        anchor = "middle" if abs(x - 100) < 10 else ("start" if x > 100 else "end")
        top = y < 100 and anchor == "middle"
        first, second = (y - 9, y) if top else (y, y + 8)
        label = f'font-size="7" text-anchor="{anchor}"'
        parts.append(
            f'<text x="{x:.1f}" y="{first:.1f}" {label}>{escape(domain.domain)}</text>'
            f'<text x="{x:.1f}" y="{second:.1f}" {label}>{domain.score}/{domain.max}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def write_benchmarks(
    output: str, summary: dict, *, commit: str | None, training: bool, organisation: str, store_root: Path | None = None
) -> Path:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(bundled_dir("templates"))), autoescape=True, undefined=StrictUndefined
    )
    rendered_cases = []
    for result in summary["cases"]:
        latest = result.reviews[-1][1]
        rendered_cases.append(
            {
                "id": result.case,
                "svg": star_svg(latest.domains),
                "reviews": [{"date": str(day)} for day, _ in result.reviews],
                "rows": [
                    {
                        "domain": d.domain,
                        "pass_mark": d.pass_mark,
                        "max": d.max,
                        "scores": [
                            next((x.score for x in s.domains if x.domain == d.domain), "") for _, s in result.reviews
                        ],
                    }
                    for d in latest.domains
                ],
                "verdict": result.verdict,
                "zero_without_action": list(result.zero_without_action),
            }
        )
    html = check_self_contained(
        env.get_template("benchmarks.html.j2").render(
            cases=rendered_cases, commit=commit, training=training, organisation=organisation
        )
    )

    return write_replacing(Path(output), html.encode("utf-8"), store_root)
