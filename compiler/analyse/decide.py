"""Per URL rule: gather what runs for it and decide ``static`` or ``dynamic``.

What runs for a rule is its view (or a view class's ``dispatch_request`` and
HTTP-method functions), the decorators on it, the hooks of the app and of the
endpoint's blueprint chain, and the templates it can render. Each of those is
a *root*: its findings (from :mod:`.callgraph` and :mod:`.templates`) become
the rule's reasons, with ``via`` naming the root and the calls from it.
Results are cached per (view, blueprint chain), so a site with thousands of
rules over a few views is decided in a few dictionary lookups per rule.
"""

from __future__ import annotations

import sys
import types
import typing as t
from dataclasses import dataclass
from dataclasses import field

from werkzeug.routing import Rule

from ..hints import DECISION_ATTRIBUTE
from ..hints import ForcedDecision
from ..model import Decision
from ..model import Evidence
from ..model import RouteAnalysis
from . import reads
from .callgraph import CallGraph
from .callgraph import Finding
from .callgraph import method_function
from .facts import Func
from .facts import TemplateRef
from .facts import Use
from .hooks import Hook
from .hooks import blueprint_chain
from .hooks import hooks_for
from .pysource import function_code
from .pysource import unwrap_callable
from .templates import Templates

if t.TYPE_CHECKING:
    from sitec.runtime import Flask

#: Methods every GET rule answers too.
_IMPLIED = frozenset({"HEAD", "OPTIONS"})
_HTTP_METHOD_FUNCS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")


@dataclass
class Root:
    """Code that runs for an endpoint, and how it is named in ``via``."""

    label: str
    func: Func


@dataclass
class ViewPlan:
    """What running one view function involves, before hooks and templates."""

    roots: list[Root] = field(default_factory=list)
    #: Findings not tied to a root function (a known reader used as decorator).
    findings: list[Finding] = field(default_factory=list)
    notes: list[Evidence] = field(default_factory=list)
    forced: ForcedDecision | None = None
    #: Where the view is defined, for rule-level evidence.
    file: str | None = None
    line: int | None = None
    #: The Python file of the view, for resolving ``url_for(".x")``.
    filename: str | None = None


@dataclass
class Outcome:
    """The cached part of a route analysis."""

    reasons: list[Evidence]
    notes: list[Evidence]
    url_reads: list[Evidence]
    templates: tuple[str, ...]


class Decider:
    def __init__(self, app: Flask, graph: CallGraph, templates: Templates) -> None:
        self.app = app
        self.graph = graph
        self.templates = templates
        self.overrides: dict[str, str] = dict(app.config.get("SITEC_ROUTES", None) or {})
        self._plans: dict[int, ViewPlan] = {}
        self._outcomes: dict[tuple[t.Any, ...], Outcome] = {}
        self._hook_findings: dict[tuple[str, ...], list[tuple[Hook, list[Finding]]]] = {}
        #: Template name -> blueprint prefixes of the endpoints rendering it.
        self.template_blueprints: dict[str, set[str]] = {}
        self.middleware = self._middleware_note()

    def _middleware_note(self) -> Evidence | None:
        """A note for every route when ``app.wsgi_app`` was replaced by middleware.

        Middleware sees the raw WSGI environ before any route is matched; the
        analysis does not follow it, the render-time proof does (the observer
        records what it reads of the client's request).
        """
        middleware = vars(self.app).get("wsgi_app")
        if middleware is None:
            return None
        function = unwrap_callable(middleware)
        if function_code(function) is None:
            function = method_function(type(middleware), "__call__")
        name = getattr(middleware, "__qualname__", None) or type(middleware).__qualname__
        code = function_code(function) if function is not None else None
        return Evidence(
            f"app.wsgi_app is wrapped in {name}: analysis does not follow WSGI middleware;"
            " what it reads of the request is checked while rendering",
            self.graph.files.display(code.co_filename) if code is not None else None,
            code.co_firstlineno if code is not None else None,
        )

    # -- views -----------------------------------------------------------------

    def plan(self, view: t.Callable[..., t.Any]) -> ViewPlan:
        known = self._plans.get(id(view))
        if known is None:
            known = self._plans[id(view)] = self._plan(view)
        return known

    def _plan(self, view: t.Callable[..., t.Any]) -> ViewPlan:
        plan = ViewPlan()
        chain = _wrapped_chain(view)
        view_class = next(
            (getattr(f, "view_class", None) for f in chain if hasattr(f, "view_class")), None
        )
        for obj in [*chain, view_class]:
            forced = getattr(obj, DECISION_ATTRIBUTE, None) if obj is not None else None
            if isinstance(forced, ForcedDecision):
                plan.forced = forced
                break
        if view_class is not None:
            self._plan_class(plan, view_class)
            return plan
        original = unwrap_callable(chain[-1])
        if function_code(original) is None:
            call = method_function(type(original), "__call__")
            if call is not None and self.graph.in_project(call):
                self._add_root(plan, f"view {type(original).__name__}", Func(call, type(original)))
                return plan
            plan.findings.append(
                Finding(
                    f"analysis cannot see: the view {_name(original)} is not Python source"
                    f" it can read ({type(original).__name__})",
                    None,
                    None,
                )
            )
            return plan
        func = Func(original)  # type: ignore[arg-type]
        self._add_root(plan, f"view {func.label}", func)
        for text, line, uses in self.graph.decorator_uses(func):
            label = "decorator " + text.split("(")[0]
            self._root_uses(plan, label, uses, func, line)
        for wrapper in chain[:-1]:
            wrapper = unwrap_callable(wrapper)
            if function_code(wrapper) is not None and self.graph.in_project(wrapper):
                self._add_root(plan, f"decorator {Func(wrapper).label}", Func(wrapper))  # type: ignore[arg-type]
        return plan

    def _plan_class(self, plan: ViewPlan, cls: type) -> None:
        for decorator in getattr(cls, "decorators", None) or ():
            label = f"decorator {_name(decorator)} (in {cls.__name__}.decorators)"
            for root in self._object_roots(decorator, label, plan):
                plan.roots.append(root)
        names = ["dispatch_request", *_HTTP_METHOD_FUNCS]
        for name in names:
            function = method_function(cls, name)
            if function is not None and self.graph.in_project(function):
                self._add_root(plan, f"view {cls.__name__}.{name}", Func(function, cls))
        if not any(root.label.startswith("view ") for root in plan.roots):
            plan.findings.append(
                Finding(
                    f"analysis cannot see: the view class {cls.__name__} has no"
                    " dispatch_request or method functions in the project",
                    self.graph.files.display(_class_file(cls)),
                    None,
                )
            )

    def _add_root(self, plan: ViewPlan, label: str, func: Func) -> None:
        plan.roots.append(Root(label, func))
        if plan.file is None and label.startswith("view "):
            code = func.obj.__code__
            nodes = self.graph.sources.function_nodes(code)
            plan.file = self.graph.where(func)
            plan.line = nodes[0].lineno if nodes else code.co_firstlineno
            plan.filename = code.co_filename
        code = func.obj.__code__
        if not self.graph.in_project(func.obj) and not code.co_filename.startswith("<"):
            plan.notes.append(
                Evidence(
                    f"{label} is library code: analysed its own body,"
                    " not the library code it calls",
                    self.graph.where(func),
                    func.obj.__code__.co_firstlineno,
                )
            )

    def _object_roots(self, obj: t.Any, label: str, plan: ViewPlan) -> list[Root]:
        """Roots for a live decorator or hook object."""
        function = unwrap_callable(obj)
        module = getattr(function, "__module__", None) or ""
        dotted = f"{module}.{getattr(function, '__qualname__', '')}"
        known = reads.known_reader(dotted)
        if known is not None:
            plan.findings.append(Finding(reads.reason(known), None, None, (label,)))
            return []
        if function_code(function) is not None:
            return [Root(label, Func(function))]  # type: ignore[arg-type]
        call = method_function(type(function), "__call__")
        if call is not None and self.graph.in_project(call):
            return [Root(label, Func(call, type(function)))]
        plan.findings.append(
            Finding(f"analysis cannot see: {label} is not Python source it can read", None, None)
        )
        return []

    def _root_uses(
        self, plan: ViewPlan, label: str, uses: list[Use], func: Func, line: int
    ) -> None:
        file = self.graph.where(func)
        for use in uses:
            if use.kind == "call" and use.target is not None:
                plan.roots.append(Root(label, use.target))
                continue
            message = self.graph.describe(use)
            if message is not None:
                plan.findings.append(Finding(message, file, use.line, (label,)))

    # -- rules -----------------------------------------------------------------

    def analyse(self, rule: Rule) -> RouteAnalysis:
        endpoint = rule.endpoint
        methods = tuple(sorted(rule.methods or ()))
        arguments = tuple(rule._converters) or tuple(sorted(rule.arguments))
        route = RouteAnalysis(endpoint, rule.rule, methods, arguments, decision="static")
        view = self.app.view_functions.get(endpoint)
        if view is None:
            route.decision = "dynamic"
            route.reasons.append(Evidence(f"no view function is registered for {endpoint!r}"))
            return route
        if self.middleware is not None:
            route.notes.append(self.middleware)
        static_files = is_static_files(endpoint, view)
        one_host = _host_restriction(rule)
        if one_host is not None:  # static folders too
            plan = ViewPlan() if static_files else self.plan(view)
            route.decision = "dynamic"
            route.reasons.append(Evidence(one_host, plan.file, plan.line))
            return route
        if static_files:
            return route
        plan = self.plan(view)
        chain = tuple(blueprint_chain(endpoint))
        outcome = self._outcome(plan, chain)
        route.reasons = list(outcome.reasons)
        route.notes = [*route.notes, *outcome.notes]
        route.url_reads = list(outcome.url_reads)
        route.templates = outcome.templates
        if "." in endpoint:
            prefix = endpoint.rpartition(".")[0]
            for name in outcome.templates:
                self.template_blueprints.setdefault(name, set()).add(prefix)
        if "GET" not in methods:
            accepted = ", ".join(m for m in methods if m not in _IMPLIED) or "no GET"
            route.reasons.insert(
                0,
                Evidence(
                    f"accepts only {accepted}, and a file can only answer GET",
                    plan.file,
                    plan.line,
                ),
            )
        else:
            extra = [m for m in methods if m not in _IMPLIED | {"GET"}]
            if extra:
                route.notes.insert(
                    0,
                    Evidence(
                        f"also accepts {', '.join(extra)}, which only the WSGI server can"
                        " answer, even when GET is a file",
                        plan.file,
                        plan.line,
                    ),
                )
        route.decision = "dynamic" if route.reasons else "static"
        self._apply_override(route, plan)
        return route

    def _apply_override(self, route: RouteAnalysis, plan: ViewPlan) -> None:
        configured = self.overrides.get(route.endpoint)
        if configured in {"static", "dynamic"}:
            decision: Decision = configured  # type: ignore[assignment]
            forced = Evidence(
                f"forced {decision}: set in [tool.sitec.routes]", via="[tool.sitec.routes]"
            )
        elif plan.forced is not None:
            decision = plan.forced.decision
            forced = Evidence(
                f"forced {decision}: {plan.forced.reason}",
                self.graph.files.display(plan.forced.file),
                plan.forced.line,
            )
        else:
            return
        ignored = [
            Evidence(f"overridden: {r.message}", r.file, r.line, r.via) for r in route.reasons
        ]
        route.notes = ignored + route.notes
        route.reasons = [forced]
        route.decision = decision
        route.override = decision

    def _outcome(self, plan: ViewPlan, chain: tuple[str, ...]) -> Outcome:
        roots = tuple((root.label, id(self.graph.facts(root.func))) for root in plan.roots)
        key = (roots, tuple(plan.findings), tuple(plan.notes), chain)
        known = self._outcomes.get(key)
        if known is not None:
            return known
        reasons: list[Finding] = list(plan.findings)
        notes: list[Evidence] = list(plan.notes)
        for root in plan.roots:
            reasons.extend(_prefixed(self.graph.findings(root.func), root.label))
        refs, url_reads = self._view_templates(plan)
        names, template_notes = self.templates.resolve_refs(refs)
        notes.extend(template_notes)
        closure = self.templates.closure(names)
        for hook, findings in self._hooks(chain):
            if hook.kind == "context_processor" and not refs:
                continue
            reasons.extend(findings)
        for name, path in closure.items():
            facts = self.templates.facts(name)
            if facts.error is not None:
                notes.append(Evidence(facts.error, name, None, "template " + " -> ".join(path)))
                continue
            reasons.extend(self.templates.findings(facts, path))
            notes.extend(_template_notes(facts, path))
            url_reads.extend(_template_url_reads(facts, path))
        for ref, where in refs:
            if ref.source is None:
                continue
            # A template string is shown at the call that renders it.
            facts = self.templates.inline(ref.source)
            for finding in self.templates.findings(facts, ("string",)):
                line = ref.line + (finding.line or 1) - 1
                reasons.append(Finding(finding.message, where, line, finding.path))
            inline = self.templates.closure(facts.deps)
            for name, path in inline.items():
                sub = self.templates.facts(name)
                if sub.error is None:
                    reasons.extend(self.templates.findings(sub, ("string", *path)))
            closure.update({name: path for name, path in inline.items() if name not in closure})
        known = Outcome(_evidence(reasons), _dedupe(notes), _dedupe(url_reads), tuple(closure))
        self._outcomes[key] = known
        return known

    def _view_templates(
        self, plan: ViewPlan
    ) -> tuple[list[tuple[TemplateRef, str]], list[Evidence]]:
        """The templates the view's code can render (each with the file that
        renders it), and the reads of the request the URL determines."""
        refs: list[tuple[TemplateRef, str]] = []
        url_reads: list[Evidence] = []
        reach = self.graph.reach([root.func for root in plan.roots], escaping_only=False)
        for func in reach:
            facts = self.graph.facts(func)
            where = self.graph.where(func)
            refs.extend((ref, where) for ref in facts.templates)
            for use in facts.uses:
                if use.kind == "note":
                    url_reads.append(Evidence(f"reads {use.what}", where, use.line))
        return refs, url_reads

    def _hooks(self, chain: tuple[str, ...]) -> list[tuple[Hook, list[Finding]]]:
        known = self._hook_findings.get(chain)
        if known is None:
            known = []
            for hook in hooks_for(self.app, chain):
                plan = ViewPlan()
                findings: list[Finding] = []
                for root in self._object_roots(hook.function, hook.label, plan):
                    findings.extend(_prefixed(self.graph.findings(root.func), root.label))
                findings.extend(plan.findings)
                known.append((hook, findings))
            self._hook_findings[chain] = known
        return known

    def hook_roots(self) -> list[tuple[t.Any, Func]]:
        """Every hook of the app (as registered) with the function it runs, for
        working out ``g``."""
        from .hooks import all_hooks

        found = []
        for hook in all_hooks(self.app):
            function = unwrap_callable(hook.function)
            if function_code(function) is not None:
                found.append((hook.function, Func(function)))  # type: ignore[arg-type]
                self.graph.roles[function] = hook.label  # type: ignore[index]
                self.graph.framework_called.add(function)  # type: ignore[arg-type]
        return found


def _host_restriction(rule: Rule) -> str | None:
    """Why a rule answers on one host only, or ``None`` when it answers on the site's.

    A static host serves the files of one host; the rule's other host needs the
    WSGI server (which host configs send it to), so such a rule is dynamic.
    """
    if rule.host:
        return f"matches only the host {rule.host!r}; the static files serve one host"
    if rule.subdomain:
        return (
            f"matches only the subdomain {rule.subdomain!r};"
            " the static files serve the site's own host"
        )
    return None


def _wrapped_chain(view: t.Any) -> list[t.Any]:
    chain = [view]
    while hasattr(chain[-1], "__wrapped__") and len(chain) < 50:
        chain.append(chain[-1].__wrapped__)
    return chain


def _class_file(cls: type) -> str:
    module = sys.modules.get(cls.__module__)
    return getattr(module, "__file__", None) or cls.__module__


def _name(obj: t.Any) -> str:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)


def is_static_files(endpoint: str, view: t.Any) -> bool:
    """The app's or a blueprint's static folder endpoint: the writer copies those."""
    if endpoint != "static" and not endpoint.endswith(".static"):
        return False
    if isinstance(view, types.MethodType) and view.__name__ == "send_static_file":
        return True
    return (getattr(view, "__module__", None) or "").startswith("sitec.runtime.")


def _prefixed(findings: list[Finding], label: str) -> t.Iterator[Finding]:
    for finding in findings:
        yield Finding(finding.message, finding.file, finding.line, (label, *finding.path))


def _template_url_reads(facts: t.Any, path: tuple[str, ...]) -> t.Iterator[Evidence]:
    via = "template " + " -> ".join(path)
    for what, line in facts.notes:
        yield Evidence(f"reads {what}", facts.name, line, via)


def _template_notes(facts: t.Any, path: tuple[str, ...]) -> t.Iterator[Evidence]:
    via = "template " + " -> ".join(path)
    for line in facts.unknown_deps:
        yield Evidence(
            "extends, includes or imports a template whose name is computed;"
            " analysed every template of the app",
            facts.name,
            line,
            via,
        )


def _evidence(findings: list[Finding]) -> list[Evidence]:
    return _dedupe(
        Evidence(f.message, f.file, f.line, " -> ".join(f.path) if f.path else None)
        for f in findings
    )


def _dedupe(items: t.Iterable[Evidence]) -> list[Evidence]:
    seen: set[tuple[str, str | None, int | None]] = set()
    kept = []
    for item in items:
        key = (item.message, item.file, item.line)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept
