"""The human reference at /docs, rendered on the server from the OpenAPI document.

Swagger UI and ReDoc load their scripts from a CDN that self-hosted deployments often cannot reach,
so this page is plain HTML with an inline stylesheet: it makes no request of its own.
"""

import json
import re
from html import escape
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")
_CONSTRAINTS = (
    ("minimum", ">= {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "<= {}"),
    ("exclusiveMaximum", "< {}"),
    ("minLength", "min length {}"),
    ("maxLength", "max length {}"),
    ("minItems", "min items {}"),
    ("maxItems", "max items {}"),
    ("maxProperties", "max properties {}"),
    ("pattern", "pattern {}"),
)

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
background:#fff}
nav{position:fixed;top:0;bottom:0;left:0;width:270px;overflow-y:auto;padding:20px;background:#f5f7fa;
border-right:1px solid #e4e7eb;font-size:14px}
nav h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#616e7c;margin:18px 0 6px}
nav a{display:block;color:#1f2933;text-decoration:none;padding:2px 0;overflow-wrap:anywhere}
nav a:hover{color:#0b69a3}
main{margin-left:270px;padding:24px 40px;max-width:1100px}
h1{margin-top:0}
h2.tag{border-bottom:2px solid #e4e7eb;padding-bottom:4px;margin-top:48px}
section.op{border:1px solid #e4e7eb;border-radius:6px;padding:4px 20px 16px;margin:24px 0}
h3{font-size:17px}
h4{font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:#52606d;margin:18px 0 6px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f0f4f8;padding:1px 4px;
border-radius:3px}
pre{background:#102a43;color:#f0f4f8;padding:12px;border-radius:6px;overflow-x:auto;font-size:13px}
pre code{background:none;padding:0;color:inherit}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;vertical-align:top;border-bottom:1px solid #e4e7eb;padding:6px 8px}
th{color:#52606d;font-weight:600}
.method{display:inline-block;min-width:56px;text-align:center;border-radius:4px;color:#fff;font-size:12px;
font-weight:700;padding:2px 6px;margin-right:8px}
.get{background:#0b69a3}.post{background:#2f8132}.put,.patch{background:#c65d07}.delete{background:#ab091e}
.req{color:#ab091e;font-size:12px}.muted{color:#616e7c}
details summary{cursor:pointer;color:#0b69a3;margin:6px 0}
"""


class _Renderer:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def type_of(self, schema: dict[str, Any]) -> str:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return " or ".join(self.type_of(option) for option in schema[key])
        if "const" in schema:
            return f"<code>{escape(json.dumps(schema['const']))}</code>"
        kind = schema.get("type", "any")
        if isinstance(kind, list):
            return " or ".join(self.type_of({**schema, "type": k}) for k in kind)
        if kind == "array":
            return f"array of {self.type_of(schema.get('items', {}))}"
        extra = schema.get("additionalProperties")
        if kind == "object" and isinstance(extra, dict):
            return f"object of string → {self.type_of(extra)}"
        label = escape(str(kind))
        return f"{label} ({escape(schema['format'])})" if "format" in schema else label

    def constraints(self, schema: dict[str, Any]) -> str:
        parts: list[str] = []
        for option in [schema, *schema.get("anyOf", [])]:
            parts += [template.format(_plain(option[key])) for key, template in _CONSTRAINTS if key in option]
            if "enum" in option:
                parts.append("one of " + ", ".join(json.dumps(v) for v in option["enum"]))
        if "default" in schema and schema["default"] is not None:
            parts.append(f"default {json.dumps(schema['default'])}")
        return "; ".join(f"<code>{escape(part)}</code>" for part in parts)

    def note(self, schema: dict[str, Any], description: str | None = None) -> str:
        text = _inline(description or schema.get("description", ""))
        rules = self.constraints(schema)
        return " ".join(part for part in (text, rules) if part)

    def fields(self, schema: dict[str, Any]) -> str:
        schema = self.resolve(schema)
        properties: dict[str, Any] = schema.get("properties", {})
        if not properties:
            return ""
        required = set(schema.get("required", []))
        rows = "".join(
            f"<tr><td><code>{escape(name)}</code>{_required(name in required)}</td>"
            f"<td>{self.type_of(prop)}</td><td>{self.note(prop)}</td></tr>"
            for name, prop in properties.items()
        )
        return f"<table><tr><th>Field</th><th>Type</th><th>Notes</th></tr>{rows}</table>"

    def parameters(self, operation: dict[str, Any]) -> str:
        params = [self.resolve(p) for p in operation.get("parameters", [])]
        if not params:
            return ""
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code>{_required(p.get('required', False))}</td>"
            f"<td>{escape(p['in'])}</td><td>{self.type_of(p.get('schema', {}))}</td>"
            f"<td>{self.note(p.get('schema', {}), p.get('description'))}</td></tr>"
            for p in params
        )
        head = "<tr><th>Name</th><th>In</th><th>Type</th><th>Notes</th></tr>"
        return f"<h4>Parameters</h4><table>{head}{rows}</table>"

    def request_body(self, operation: dict[str, Any]) -> str:
        body = self.resolve(operation.get("requestBody"))
        if not body:
            return ""
        out = ["<h4>Request body</h4>"]
        for media_type, media in body.get("content", {}).items():
            schema = media.get("schema", {})
            out.append(f"<p><code>{escape(media_type)}</code>: {self.type_of(schema)}</p>")
            out.append(self.fields(schema))
            out.append(_examples(media, open_first=True))
        return "".join(out)

    def responses(self, operation: dict[str, Any]) -> str:
        rows, samples = [], []
        for status, raw in operation.get("responses", {}).items():
            response = self.resolve(raw)
            media = response.get("content", {}).get("application/json", {})
            body = self.type_of(media["schema"]) if "schema" in media else '<span class="muted">none</span>'
            rows.append(
                f"<tr><td><code>{escape(status)}</code></td>"
                f"<td>{_inline(response.get('description', ''))}</td><td>{body}</td></tr>"
            )
            if status.startswith("2"):
                samples.append(f"<p>Example <code>{escape(status)}</code></p>{_examples(media, True)}")
        head = "<tr><th>Status</th><th>Meaning</th><th>Body</th></tr>"
        return f"<h4>Responses</h4><table>{head}{''.join(rows)}</table>{''.join(samples)}"

    def operation(self, method: str, path: str, operation: dict[str, Any]) -> str:
        anchor = escape(operation.get("operationId", f"{method}-{path}"))
        summary = escape(operation.get("summary", ""))
        return (
            f'<section class="op" id="op-{anchor}"><h3><span class="method {method}">{method.upper()}</span>'
            f"<code>{escape(path)}</code></h3><p><strong>{summary}</strong></p>"
            f"{_paragraphs(operation.get('description', ''))}{self.parameters(operation)}"
            f"{self.request_body(operation)}{self.responses(operation)}</section>"
        )


def _plain(value: Any) -> Any:
    # FastAPI's schema model stores bounds as floats; `>= 1` reads better than `>= 1.0`.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _required(required: bool) -> str:
    return ' <span class="req">required</span>' if required else ""


def _inline(text: str) -> str:
    """Escapes text and renders `code` spans, the only markup the descriptions use."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_inline(part)}</p>" for part in text.split("\n\n") if part.strip())


def _examples(media: dict[str, Any], open_first: bool) -> str:
    named = dict(media.get("examples", {}))
    if "example" in media:
        named = {"example": {"value": media["example"]}, **named}
    out = []
    for index, (name, example) in enumerate(named.items()):
        label = escape(example.get("summary", name))
        state = " open" if open_first and index == 0 else ""
        value = escape(json.dumps(example.get("value"), indent=2, ensure_ascii=False))
        out.append(f"<details{state}><summary>{label}</summary><pre><code>{value}</code></pre></details>")
    return "".join(out)


def _by_tag(document: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["Other"])[0]
                groups.setdefault(tag, []).append((method, path, item[method]))
    return groups


def _intro(document: dict[str, Any]) -> str:
    info = document.get("info", {})
    server = (document.get("servers") or [{"url": "/"}])[0]["url"]
    return (
        f'<h1>{escape(info.get("title", "API"))} <small class="muted">{escape(info.get("version", ""))}'
        f"</small></h1>{_paragraphs(info.get('description', ''))}"
        f"<p>Base path: <code>{escape(server)}</code>. Every path below is relative to it. "
        "Authentication: <code>Authorization: Bearer &lt;token&gt;</code>. "
        'Errors: an <a href="#schema-Error">Error</a> body. '
        'Machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>'
    )


def render_page(document: dict[str, Any]) -> str:
    """The whole reference as one HTML page: operations grouped by tag, then the schemas."""
    renderer = _Renderer(document)
    groups = _by_tag(document)
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    nav, body = [], [_intro(document)]
    for tag, ops in groups.items():
        nav.append(f"<h2>{escape(tag)}</h2>")
        body.append(f'<h2 class="tag">{escape(tag)}</h2>')
        for method, path, operation in ops:
            anchor = escape(operation.get("operationId", f"{method}-{path}"))
            nav.append(f'<a href="#op-{anchor}">{method.upper()} {escape(path)}</a>')
            body.append(renderer.operation(method, path, operation))
    nav.append("<h2>Schemas</h2>")
    body.append('<h2 class="tag">Schemas</h2>')
    for name, schema in schemas.items():
        nav.append(f'<a href="#schema-{escape(name)}">{escape(name)}</a>')
        detail = (
            renderer.fields(schema) or f"<p>{renderer.type_of(schema)} {renderer.constraints(schema)}</p>"
        )
        body.append(
            f'<section id="schema-{escape(name)}"><h3>{escape(name)}</h3>'
            f"{_paragraphs(schema.get('description', ''))}{detail}</section>"
        )
    title = escape(document.get("info", {}).get("title", "API"))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} reference</title><style>{STYLE}</style></head>"
        f"<body><nav>{''.join(nav)}</nav><main>{''.join(body)}</main></body></html>"
    )
