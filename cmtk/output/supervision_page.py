"""The supervision page: one self-contained A4-landscape page (or a projector screen) for a reflection
session. Charts are inline SVG in black and grey, readable when printed without colour; the page loads
nothing and runs nothing."""

from __future__ import annotations

from html import escape
from pathlib import Path

from cmtk.index.supervision import INDICATORS, Dashboard
from cmtk.output import render, userfiles
from cmtk.store.paths import bundled_dir

STEP_NAMES = {
    1: "Identification", 2: "Assessment", 3: "Case planning", 4: "Preparation",
    5: "Placement", 6: "Reintegration", 7: "Monitoring", 8: "Closure",
}  # fmt: skip


def trend_svg(values: list[int | None], months: list[str]) -> str:
    """A small line chart of percentages by month: black line, a labelled point per month with data."""
    width, height, pad = 230, 70, 14
    step = (width - 2 * pad) / max(len(months) - 1, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 14}" role="img">',
        f'<line x1="{pad}" y1="{pad}" x2="{width - pad}" y2="{pad}" stroke="#bbb" stroke-dasharray="2 2"/>',
        f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#888"/>',
    ]
    points = []
    for n, value in enumerate(values):
        x = pad + n * step
        if value is not None:
            y = height - (height - pad) * value / 100
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#000"/>')
            parts.append(f'<text x="{x:.1f}" y="{y - 5:.1f}" font-size="8" text-anchor="middle">{value}</text>')
        parts.append(
            f'<text x="{x:.1f}" y="{height + 11}" font-size="7" text-anchor="middle">{escape(months[n][5:])}</text>'
        )
    if len(points) > 1:
        parts.insert(3, f'<polyline points="{" ".join(points)}" fill="none" stroke="#000" stroke-width="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(counts: dict[str, int], limit: int | None = None) -> str:
    """Horizontal bars, one per caseworker, with the limit as a dashed line (over the limit: hatched)."""
    longest = max([*counts.values(), limit or 0, 1])
    row, label_width, width = 16, 120, 360
    scale = (width - label_width - 30) / longest
    height = row * max(len(counts), 1) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse">'
        '<path d="M0,4 L4,0" stroke="#000" stroke-width="1"/></pattern></defs>',
    ]
    for n, (name, count) in enumerate(counts.items()):
        y = n * row + 3
        fill = "url(#hatch)" if limit is not None and count > limit else "#777"
        parts.append(f'<text x="0" y="{y + 10}" font-size="9">{escape(name[:22])}</text>')
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{count * scale:.1f}" height="{row - 5}" fill="{fill}"'
            ' stroke="#000" stroke-width="0.5"/>'
        )
        parts.append(f'<text x="{label_width + count * scale + 4:.1f}" y="{y + 10}" font-size="9">{count}</text>')
    if limit is not None:
        x = label_width + limit * scale
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="#000" stroke-dasharray="3 2"/>')
    parts.append("</svg>")
    return "".join(parts)


def html(board: Dashboard, *, organisation: str, training: bool) -> str:
    from jinja2 import FileSystemLoader, StrictUndefined  # only for printed pages
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from markupsafe import Markup

    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(bundled_dir("templates"))), autoescape=True, undefined=StrictUndefined
    )
    indicators = [
        {
            "title": title,
            "svg": Markup(trend_svg([r.percent for r in board.indicators[name].values()], board.months)),
            "total": sum(r.of for r in board.indicators[name].values()),
        }
        for name, title in INDICATORS.items()
    ]
    page = env.get_template("supervision.html.j2").render(
        board=board,
        steps=STEP_NAMES,
        indicators=indicators,
        caseload_svg=Markup(bars_svg(board.caseload, board.limit)),
        overdue_svg=Markup(bars_svg(board.overdue)),
        organisation=organisation,
        training=training,
        css=Markup((bundled_dir("templates") / "supervision.css").read_text("utf-8")),
    )
    return render.check_self_contained(page)


def write(board: Dashboard, output: Path, *, organisation: str, training: bool, store_root: Path | None) -> Path:
    page = html(board, organisation=organisation, training=training)
    data = render.render_pdf(page) if output.suffix.lower() == ".pdf" else page.encode("utf-8")
    return userfiles.write_replacing(output, data, store_root, "--output")
