"""What the terminal shows after a build or for ``sitec explain``."""

from __future__ import annotations

import typing as t

import click

from .build import BuildResult
from .model import Evidence
from .model import Problem
from .model import RouteAnalysis

Echo = t.Callable[[str], None]


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


def _first_reason(route: RouteAnalysis) -> str:
    if not route.reasons:
        return ""
    reason = route.reasons[0]
    where = reason.where()
    text = f"{reason.message} ({where})" if where else reason.message
    more = len(route.reasons) - 1
    return f"{text} (+{more} more)" if more else text


def _table(rows: list[list[str]], echo: Echo) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        line = "  ".join([*cells, row[-1]]).rstrip()
        echo(click.style(line, bold=True) if index == 0 else line)


def route_rows(result: BuildResult | None, routes: list[RouteAnalysis]) -> list[list[str]]:
    """One row per rule: endpoint, rule, decision, URLs written, bytes, first reason."""
    rows = [["ENDPOINT", "RULE", "DECISION", "URLS", "SIZE", "WHY"]]
    for route in routes:
        decision = route.decision + (" (forced)" if route.override else "")
        if result is not None and route.decision == "static":
            files = result.files.get((route.endpoint, route.rule), [])
            urls, size = str(len(files)), _size(sum(f.size for f in files))
        else:
            urls = size = "-"
        rows.append([route.endpoint, route.rule, decision, urls, size, _first_reason(route)])
    return rows


def explain_routes(
    routes: list[RouteAnalysis],
    echo: Echo,
    *,
    built: t.Mapping[tuple[str, str], t.Mapping[str, t.Any]] | None = None,
) -> None:
    """Every reason of every route, with its evidence.

    ``built`` holds the last build's manifest routes by ``(endpoint, rule)``: where the
    build decided otherwise than this analysis (a render read the request), its
    decision and the reasons it added are shown too.
    """
    for route in routes:
        label = f"{route.endpoint}  {route.rule}  -> {route.decision}"
        if route.override:
            label += " (forced)"
        found = built.get((route.endpoint, route.rule)) if built is not None else None
        differs = found is not None and found["decision"] != route.decision
        if differs:
            label += f"; the last build made it {found['decision']}"  # type: ignore[index]
        echo(click.style(label, bold=True))
        if not route.reasons and not route.notes and not differs:
            echo("    no request-bound state on any path the analysis can see")
        for reason in route.reasons:
            echo(f"    because {_evidence_line(reason)}")
        if differs:
            known = {(r.message, r.file, r.line) for r in route.reasons}
            for reason in found["reasons"]:  # type: ignore[index]
                evidence = Evidence(
                    reason["message"], reason.get("file"), reason.get("line"), reason.get("via")
                )
                if (evidence.message, evidence.file, evidence.line) not in known:
                    echo(f"    the build found: {_evidence_line(evidence)}")
        for note in route.notes:
            echo(f"    note: {_evidence_line(note)}")


def _evidence_line(evidence: t.Any) -> str:
    text = evidence.message
    if evidence.where():
        text += f" at {evidence.where()}"
    if evidence.via:
        text += f" (via {evidence.via})"
    return text


def _problem_line(problem: Problem, policy: str) -> str:
    mark = {"fail": click.style("error", fg="red"), "warn": click.style("warning", fg="yellow")}
    line = f"{mark.get(policy, policy)} [{problem.kind}] {problem.message}"
    if problem.evidence is not None and problem.evidence.where():
        line += f"\n    at {problem.evidence.where()}"
        if problem.evidence.via:
            line += f" (via {problem.evidence.via})"
    if problem.url and problem.endpoint:
        line += f"\n    endpoint {problem.endpoint}"
    if problem.referrer:
        line += f"\n    linked from {problem.referrer}"
    if problem.found_by:
        line += f"\n    found by {problem.found_by}"
    return line


def print_build(result: BuildResult, echo: Echo, *, explain: bool = False) -> None:
    """The route table, the problems and the totals of a build."""
    _table(route_rows(result, result.routes), echo)
    if explain:
        echo("")
        explain_routes(result.routes, echo)

    shown = [p for p in result.problems if result.policy_of(p) != "ignore"]
    if shown:
        echo("")
        for problem in shown:
            echo(_problem_line(problem, result.policy_of(problem)))

    dynamic = sum(1 for r in result.routes if r.decision == "dynamic")
    echo("")
    summary = (
        f"{result.page_count} pages pre-rendered ({_size(result.byte_count)}),"
        f" {len(result.redirects)} redirects, {dynamic} dynamic routes,"
        f" in {result.seconds:.2f}s"
    )
    if result.committed:
        echo(f"{summary} -> {result.settings.output}")
        if result.why_all is not None:
            echo(f"rendered every page: {result.why_all}")
        elif result.rendered or result.reused:
            changed = f" ({result.changed} changed)" if result.changed else ""
            echo(
                f"rendered {result.rendered} pages, reused {result.reused} unchanged ones{changed}"
            )
    else:
        failures = len(result.failures())
        echo(
            click.style(
                f"build failed with {failures} error{'s' if failures != 1 else ''};"
                f" {result.settings.output} was left as it was",
                fg="red",
            )
        )
