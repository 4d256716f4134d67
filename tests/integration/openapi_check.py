#!/usr/bin/env python3
"""Every documented response of rackbootd's OpenAPI document, provoked and validated.

openapi_check.py DOC API TOKEN NET IMAGES_ROOT

For each operation but the endless event stream, sends its example request and the requests that
provoke its documented errors (an unknown path parameter: 404; no token: 401; an unknown field,
a body that is not JSON: 400; the example again: 409; a stale If-Match: 412; a body past the
limit: 413; another content type: 415; ?limit=0 on a read: 400), only those the operation
documents; against a rackbootd with no --state and no DHCP server, the 503s. Each answer's
status must be documented for the operation; its body must validate against that status's
schema (jsonschema, the document's schemas with nullable as a "null" type); a HEAD answer has no
body. Prints what was provoked, and exits 1 on the first answer the document does not describe.
"""
import json
import sys
import http.client

import jsonschema

DOC, API, TOKEN, NET, IMAGES = sys.argv[1:6]
doc = json.load(open(DOC))
UNKNOWN = {"serial": "ffffffff", "name": "no-such-image", "ip": NET + ".0.99"}


def resolve(s):
    if isinstance(s, list):
        return [resolve(x) for x in s]
    if not isinstance(s, dict):
        return s
    if "$ref" in s:
        node = doc
        for k in s["$ref"].split("/")[1:]:
            node = node[k]
        return resolve(node)
    out = {k: (resolve(v) if k != "properties" else {p: resolve(x) for p, x in v.items()})
           for k, v in s.items() if k not in ("nullable", "readOnly", "example", "description")}
    return {"anyOf": [out, {"type": "null"}]} if s.get("nullable") else out


def local(text):
    return text.replace("10.0.", NET + ".").replace("{images_root}", IMAGES)


def send(method, path, body=None, headers=None, announce=0):
    """One request; with `announce`, only its head, announcing a body of that many bytes."""
    host, port = API.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.putrequest(method, path)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    data = body or b""
    c.putheader("Content-Length", str(announce or len(data)))
    c.endheaders()
    if not announce and data:
        c.send(data)
    r = c.getresponse()
    answer = r.read()
    c.close()
    return r.status, r.getheader("Content-Type", ""), answer


checked, provoked, failures = 0, set(), []


def check(method, template, op, status, ctype, body, why):
    global checked
    responses = resolve(op["responses"])
    where = f"{method.upper()} {template} ({why}) -> {status}"
    if str(status) not in responses:
        failures.append(f"{where}: status not documented ({body[:200]!r})")
        return
    provoked.add((method, template, str(status)))
    checked += 1
    content = responses[str(status)].get("content", {})
    if method == "head":
        if body:
            failures.append(f"{where}: a HEAD answer with a body")
        return
    if not content:
        if body:
            failures.append(f"{where}: a body where none is documented")
        return
    media = next((m for m in content if m.split(";")[0] == ctype.split(";")[0]), None)
    if media is None:
        failures.append(f"{where}: Content-Type {ctype}, documented {list(content)}")
        return
    schema = content[media].get("schema")
    if schema is None or not media.startswith("application/json"):
        return
    try:
        jsonschema.validate(json.loads(body), schema)
    except (ValueError, jsonschema.ValidationError) as e:
        failures.append(f"{where}: {str(e).splitlines()[0]}")


for template, item in doc["paths"].items():
    if template == "/api/v1/events":
        continue  # the endless stream: tests/integration/event_stream.sh
    params = {p["name"]: p for p in item.get("parameters", []) if p["in"] == "path"}
    for method, op in item.items():
        if method == "parameters":
            continue
        documented = set(op["responses"])
        write = method not in ("get", "head")
        body, ctype = None, None
        rb = op.get("requestBody", {}).get("content", {})
        if "application/json" in rb and "example" in rb["application/json"]:
            body, ctype = local(json.dumps(rb["application/json"]["example"])).encode(), "application/json"
        example_path = template
        for name, p in params.items():
            example_path = example_path.replace("{" + name + "}", local(str(p["example"])))
        auth = {"Authorization": "Bearer " + TOKEN}

        def go(path, why, data=body, headers=None, content_type=ctype, announce=0):
            h = dict(auth if headers is None else headers)
            if (data is not None or announce) and content_type:
                h["Content-Type"] = content_type
            status, got_type, answer = send(method.upper(), path, data, h, announce)
            check(method, template, op, status, got_type, answer, why)

        go(example_path, "the example")
        if params and "404" in documented:
            unknown = template
            for name in params:
                unknown = unknown.replace("{" + name + "}", UNKNOWN[name])
            go(unknown, "an unknown " + "/".join(params))
        if write and "401" in documented:
            go(example_path, "no token", headers={})
        if write and "400" in documented and ctype:
            go(example_path, "an unknown field", data=b'{"bogus": 1}')
            go(example_path, "not JSON", data=b'{"serial": ')
        if write and "409" in documented and method == "post":
            go(example_path, "the example again")
        if write and "412" in documented:
            go(example_path, "a stale If-Match", headers={**auth, "If-Match": '"999999"'})
        if write and "413" in documented:
            go(example_path, "a body past the limit", data=None, announce=2 << 20)
        if not write and "400" in documented:
            go(example_path + "?limit=0", "limit=0")
        if write and "415" in documented and ctype:
            go(example_path, "another content type", content_type="application/xml")

documented_pairs = {(m, t, s) for t, item in doc["paths"].items() if t != "/api/v1/events"
              for m, op in item.items() if m != "parameters" for s in op["responses"]}
left = sorted(documented_pairs - provoked)
print(f"{checked} answers checked against the document; {len(provoked)} of {len(documented_pairs)} documented "
      f"(operation, status) pairs provoked; not provoked here: "
      + ", ".join(f"{m.upper()} {t} {s}" for m, t, s in left))
if failures:
    print("\n".join(failures))
    sys.exit(1)
