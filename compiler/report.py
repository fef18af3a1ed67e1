"""What the terminal shows after a build or for ``sitec explain``."""

from __future__ import annotations

import typing as t

import click

from .build import BuildResult
from .discover import is_static_folder_endpoint
from .model import Evidence
from .model import Problem
from .model import RouteAnalysis
from .model import WrittenFile
from .project import shown_path

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
        if result is not None and route.decision == "static":
            files = result.files.get((route.endpoint, route.rule), [])
            urls, size = str(len(files)), _size(sum(f.size for f in files))
        else:
            urls = size = "-"
        why = COPIED if _is_static_folder(route) else _first_reason(route)
        rows.append([route.endpoint, route.rule, _decision(route), urls, size, why])
    return rows


#: Why a static folder's rule is static, and what a static route's analysis found.
COPIED = "the static folder's files, copied as they are"
NOTHING_READ = "nothing its view, hooks or templates run reads the visitor's request"


def _is_static_folder(route: RouteAnalysis) -> bool:
    return route.decision == "static" and is_static_folder_endpoint(route.endpoint)


def _decision(route: RouteAnalysis) -> str:
    """``static``, ``dynamic``, ``... (forced)``, or ``static files`` for a static folder."""
    if _is_static_folder(route):
        return "static files"
    return route.decision + (" (forced)" if route.override else "")


def explain_routes(
    routes: list[RouteAnalysis],
    echo: Echo,
    *,
    built: t.Mapping[tuple[str, str], t.Mapping[str, t.Any]] | None = None,
) -> None:
    """Every reason of every route, with its evidence; then, once for all routes, the
    reads of the request that the URL determines (``request.endpoint`` in a base
    template would otherwise repeat under every page).

    ``built`` holds the last build's manifest routes by ``(endpoint, rule)``: where the
    build decided otherwise than this analysis (a render read the request), its
    decision and the reasons it added are shown too.
    """
    for route in routes:
        label = f"{route.endpoint}  {route.rule}  -> {_decision(route)}"
        found = built.get((route.endpoint, route.rule)) if built is not None else None
        differs = found is not None and found["decision"] != route.decision
        if differs:
            label += f"; the last build made it {found['decision']}"  # type: ignore[index]
        echo(click.style(label, bold=True))
        if _is_static_folder(route):
            echo(f"    {COPIED}, each with the headers the app sends it with")
        elif route.decision == "static" and not route.reasons and not differs:
            echo(f"    {NOTHING_READ}")
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
    _explain_url_reads(routes, echo)


def _explain_url_reads(routes: list[RouteAnalysis], echo: Echo) -> None:
    """Each URL-determined read once, with the routes it is on."""
    endpoints: dict[str, dict[str, None]] = {}
    for route in routes:
        for read in route.url_reads:
            where = f"{read.message} at {read.where()}" if read.where() else read.message
            endpoints.setdefault(where, {})[route.endpoint] = None
    if not endpoints:
        return
    echo("")
    echo("The URL alone decides these reads of the request: they make no page dynamic.")
    for where, names in endpoints.items():
        on = ", ".join(names) if len(names) <= 3 else f"{len(names)} routes"
        echo(f"    {where} ({on})")


def _evidence_line(evidence: t.Any) -> str:
    text = evidence.message
    if evidence.where():
        text += f" at {evidence.where()}"
    if evidence.via:
        text += f" (via {evidence.via})"
    return text


def group_problems(result: BuildResult) -> list[list[Problem]]:
    """The problems to show: those of one kind, policy and cause together, in URL
    order, and each other problem alone; problems whose policy is ``ignore`` are left out."""
    groups: dict[t.Any, list[Problem]] = {}
    for index, problem in enumerate(result.problems):
        policy = result.policy_of(problem)
        if policy == "ignore":
            continue
        key = (problem.kind, policy, problem.cause) if problem.cause is not None else index
        groups.setdefault(key, []).append(problem)
    return [
        sorted(group, key=lambda p: (p.url or "", p.endpoint or "")) for group in groups.values()
    ]


def _problem_lines(group: list[Problem], policy: str) -> str:
    """The first problem of ``group`` in full, then where else the same cause struck."""
    first, *rest = _problem_line(group[0], policy).split("\n")
    others = [_subject(problem) for problem in group[1:]]
    if others:
        rest.insert(0, f"    the same for {len(others)} more: {', '.join(others)}")
    return "\n".join([first, *rest])


def _subject(problem: Problem) -> str:
    if problem.url and problem.endpoint:
        return f"{problem.url} ({problem.endpoint})"
    return problem.url or problem.endpoint or problem.message


def _problem_line(problem: Problem, policy: str) -> str:
    mark = {"fail": click.style("error", fg="red"), "warn": click.style("warning", fg="yellow")}
    first, *details = problem.message.split("\n")
    line = f"{mark.get(policy, policy)} [{problem.kind}] {first}"
    line += "".join(f"\n    {detail}" for detail in details)
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


def summary_line(result: BuildResult) -> str:
    """What the build wrote, counted apart: pages the views rendered, files copied
    from static folders, the 404 page; then redirects and dynamic routes."""
    written: dict[bool, list[WrittenFile]] = {False: [], True: []}
    for (endpoint, _), files in result.files.items():
        written[is_static_folder_endpoint(endpoint)].extend(files)
    pages, copied = written[False], written[True]
    dynamic = sum(1 for r in result.routes if r.decision == "dynamic")
    parts = [
        _count(len(pages), "page") + f" pre-rendered ({_size(sum(f.size for f in pages))})",
        _count(len(copied), "static file") + f" copied ({_size(sum(f.size for f in copied))})",
        f"{result.not_found_page.file} written" if result.not_found_page else "no 404 page",
        _count(len(result.redirects), "redirect"),
        _count(dynamic, "dynamic route"),
    ]
    return ", ".join(parts)


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def print_build(result: BuildResult, echo: Echo, *, explain: bool = False) -> None:
    """The route table, the problems and the totals of a build."""
    _table(route_rows(result, result.routes), echo)
    if explain:
        echo("")
        explain_routes(result.routes, echo)

    groups = group_problems(result)
    if groups:
        echo("")
        for group in groups:
            echo(_problem_lines(group, result.policy_of(group[0])))

    echo("")
    summary = f"{summary_line(result)}, in {result.seconds:.2f}s"
    if result.committed:
        echo(f"{summary} -> {shown_path(result.settings.output)}")
        if result.why_all is not None:
            echo(f"rendered every page: {result.why_all}")
        elif result.rendered or result.reused:
            changed = f" ({result.changed} changed)" if result.changed else ""
            echo(
                f"rendered {result.rendered} pages, reused {result.reused} unchanged ones{changed}"
            )
    else:
        failures = _count(sum(result.policy_of(g[0]) == "fail" for g in groups), "error")
        echo(
            click.style(
                f"build failed with {failures}; {result.settings.output} was left as it was",
                fg="red",
            )
        )
