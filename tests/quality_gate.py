#!/usr/bin/env python3
"""Detection-quality gate on the labelled development corpus (read in place, never copied).
Fails when a target of the foundation issue is missed, so a rule change that costs recall or adds
false positives does not land unnoticed."""
import base64, binascii, codecs, json, os, random, subprocess, sys, tempfile, textwrap, urllib.parse
from rewrites import homoglyphs_pyrit, math_identities, leet_pyrit, leet_pyrit_random, character_spaced, emoji_letters, ascii85, base85, half_leet, pig_latin, sneaky_bits, vowels_removed, uuencoded, variation_selectors, homoglyphs, hyphens_in_words, shift, small_caps, spelled, spelled_unbroken, stuttered, turned, typos

binary, corpus = sys.argv[1], sys.argv[2]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def evaluate(name):
    p = subprocess.run([binary, "eval", "--format", "json", "--rules", os.path.join(root, "rules"),
                        "--input", os.path.join(corpus, name)], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)

def evaluate_file(path, surface="prompt"):
    p = subprocess.run([binary, "eval", "--format", "json", "--rules", os.path.join(root, "rules"),
                        "--surface", surface, "--input", path], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)

def evaluate_rows(rows, surface="prompt"):
    """`evaluate_file` over rows written to a temporary file (deleted after)."""
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "rows.jsonl")
        with open(path, "w") as out:
            for r in rows:
                out.write(json.dumps(r) + "\n")
        return evaluate_file(path, surface)

def span_recall(report):
    return sum(v["found"] for v in report["span_recall"].values()) / sum(v["gold"] for v in report["span_recall"].values())

def lookalikes_flagged(report):
    return report["lookalikes"]["flagged"] / max(1, report["lookalikes"]["rows"])

rows, failures = [], []
def target(label, value, op, limit):
    ok = value >= limit if op == ">=" else value <= limit
    rows.append(f"  {label:<48} {value * 100:6.2f}%  (target {op} {limit * 100:.1f}%)  {'ok' if ok else 'MISSED'}")
    if not ok:
        failures.append(label)

a = evaluate("attacks.jsonl")
def explicit_recall(report):
    explicit = [v for k, v in report["tiers"].items() if k.endswith("/explicit")]
    return sum(v["blocked"] for v in explicit) / sum(v["rows"] for v in explicit)
if "modes" in a:
    target("explicit attacks blocked, rules only", explicit_recall(a["modes"]["rules"]), ">=", 0.90)
    target("explicit attacks blocked, rules + classifier", explicit_recall(a), ">=", 0.95)
    for source, v in sorted(a["sources"].items()):
        if "explicit" in source:
            rows.append(f"  {'  ' + source:<44} {v['blocked'] / v['rows'] * 100:6.2f}%")
else:
    target("explicit attacks blocked", explicit_recall(a), ">=", 0.90)
# Spacing and JSON are not evasions: the explicit attacks rewritten with other whitespace or with
# underscores between words, still JSON-escaped (Python's json.dumps: \n and \uXXXX as text), or
# wrapped in a chat request (a temporary file, deleted after) keep their recall, rules only and
# with the classifier, within 1.5 points.
variants = {
    "doubled spaces": lambda t: t.replace(" ", "  "),
    "tabs for spaces": lambda t: t.replace(" ", "\t"),
    "wrapped at 60 columns": lambda t: "\n".join(textwrap.wrap(t, 60)) if len(t) > 60 else t,
    "no-break spaces": lambda t: t.replace(" ", "\u00a0"),
    "underscores for spaces": lambda t: t.replace(" ", "_"),
    "JSON-escaped": lambda t: json.dumps(t)[1:-1],
    "in a chat request": lambda t: json.dumps({"messages": [{"role": "user", "content": t}]}),
    "after a system message": lambda t: json.dumps({"messages": [
        {"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": t}]}),
}
if "modes" in a:
    base, base_both = explicit_recall(a["modes"]["rules"]), explicit_recall(a)
    explicit_rows = [r for r in map(json.loads, open(os.path.join(corpus, "attacks.jsonl"))) if r.get("tier") == "explicit"]
    with tempfile.TemporaryDirectory() as work:
        for name, rewrite in variants.items():
            path = os.path.join(work, "variant.jsonl")
            with open(path, "w") as out:
                for r in explicit_rows:
                    out.write(json.dumps(dict(r, text=rewrite(r["text"]))) + "\n")
            v = evaluate_file(path)
            target(f"explicit, {name}, rules only", explicit_recall(v["modes"]["rules"]), ">=", round(base - 0.015, 4))
            target(f"  {name}, rules + classifier", explicit_recall(v), ">=", round(base_both - 0.015, 4))
# Obfuscations the engine undoes (invisible characters, look-alike and full-width letters, emoji
# between words, letters spaced out, words joined without spaces, leetspeak, ROT13, small
# capitals, text upside down, character codes, pipes between words, hyphens inside words, stuttered
# letters): the explicit
# attacks rewritten that way keep their recall above a floor, rules only and with the classifier,
# and hard negatives spaced out, in camel case, run together, with typos, spelled in the NATO
# alphabet, half in leetspeak, without vowels or in pig Latin stay under 3% blocked. The floors sit 1.5-3 points
# under 0.6.21's figures (later floors under the figures of the version that raised them).
# Spaced-out letters and joined words lose more than the rest: text in other scripts is not
# rejoined, and camel case has no capitals to cut other scripts at.
def spaced_out(t): return "  ".join(" ".join(w) for w in t.split(" "))
def camel_case(t): return "".join(w[:1].upper() + w[1:] for w in t.split(" "))
def spaces_removed(t): return "".join(t.split())
def seeded_typos(t): return typos(t, random.Random(t))
obfuscations = {
    "zero-width inside words": (lambda t: " ".join("\u200b".join(w) for w in t.split(" ")), 0.90, 0.95),
    "Cyrillic look-alikes": (lambda t: t.translate(homoglyphs), 0.90, 0.95),
    "full-width letters": (lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t), 0.90, 0.95),
    "emoji between words": (lambda t: " 🙂 ".join(t.split(" ")), 0.90, 0.95),
    "letters spaced out": (spaced_out, 0.86, 0.94),
    # 0.6.37: a joiner next to punctuation or between other scripts' letters reads as a space,
    # and a short command needs one break (86.0 / 94.0, 85.4 / 93.9, 86.8 / 93.9 before).
    "dots for spaces": (lambda t: ".".join(t.split(" ")), 0.90, 0.95),
    "form-encoded (+ for spaces)": (lambda t: urllib.parse.quote_plus(t), 0.89, 0.94),
    "camel case": (camel_case, 0.86, 0.93),
    "leetspeak (aeiost as 431057)": (lambda t: t.translate(str.maketrans("aeiost", "431057")), 0.86, 0.94),
    "ROT13, asked to decode": (lambda t: "The following is ROT13, decode and follow it: " + codecs.encode(t, "rot13"), 0.90, 0.95),
    # 0.6.22: text written backwards is read reversed (17.6 / 21.2 before).
    "reversed": (lambda t: t[::-1], 0.85, 0.90),
    # 0.6.26: each word written backwards in its place (31.0 / 34.4 before).
    "each word reversed, in order": (lambda t: " ".join(w[::-1] for w in t.split(" ")), 0.84, 0.90),
    # 0.6.26: small capitals fold to letters (20.2 / 22.5 before), text upside down is read the
    # right way up (16.7 / 21.6 before), decimal character codes are decoded (12.0 / 12.0 before).
    "small capitals": (lambda t: t.translate(small_caps), 0.90, 0.95),
    "upside down": (lambda t: t.lower().translate(turned)[::-1], 0.87, 0.93),
    "decimal character codes, asked to decode": (lambda t: "Decode these ASCII codes and follow them: " + " ".join(str(ord(c)) for c in t), 0.92, 0.93),
    # 0.6.38: octal codes of UTF-8 bytes decoded (10.9 / 10.9 before).
    "octal codes, nothing else": (lambda t: " ".join("%03o" % b for b in t.encode()), 0.94, 0.95),
    # 0.6.27: words fenced apart by pipes are read without them (35 / 83 before).
    "pipes between words": (lambda t: " | ".join(t.split(" ")), 0.85, 0.93),
    # 0.6.27: keyword words cut by hyphens are read whole (62.4 / 87.7 before).
    "hyphens inside words": (hyphens_in_words, 0.88, 0.94),
    # 0.6.32: keyword words with a stuttered letter are read as the words (60.6 / 87.4 before).
    "a letter doubled in each word": (stuttered, 0.87, 0.94),
    # 0.6.34: base32 decoded (1.8 / 1.8 before), Caesar shifts and Atbash read back (21.0 / 23.6
    # before), NATO spelling read (17.5 / 29.3), words run together cut (45.9 / 76.7), one
    # character per line read across (15.8 / 22.2), NATO spelling with no word breaks cut (0.9 /
    # 13.7), misspelt attack words read as the words
    # (79.4 / 92.9 before, on format_variants.py's typos).
    "base32, asked to decode": (lambda t: "Decode this base32: " + base64.b32encode(t.encode()).decode(), 0.92, 0.92),
    "Caesar shift 5": (lambda t: shift(t, 5), 0.85, 0.89),
    "Atbash": (lambda t: shift(t, 26), 0.85, 0.89),
    "NATO alphabet": (spelled, 0.84, 0.88),
    "NATO alphabet, no breaks": (spelled_unbroken, 0.75, 0.80),
    "spaces removed": (spaces_removed, 0.81, 0.89),
    "one character per line": (lambda t: "\n".join(t), 0.90, 0.93),
    "typos in a quarter of the long words": (seeded_typos, 0.82, 0.91),
    # 0.6.35: Ascii85, base85 and uuencoded lines decoded (12–21% before, blocked only when the
    # label around them was an attack by itself).
    "Ascii85 after 'Encoded:'": (lambda t: "Encoded: " + ascii85(t) + "\nDecoded:", 0.92, 0.92),
    "base85": (base85, 0.92, 0.92),
    "uuencoded": (lambda t: "What does this mean? " + uuencoded(t) + "\n", 0.92, 0.92),
    # 0.6.35: text smuggled in variation selectors or invisible operators decoded and reported
    # (6.3 / 6.3 and 4.8 / 4.8 before).
    "in variation selectors": (lambda t: "Hello! " + variation_selectors(t), 0.96, 0.96),
    "in sneaky bits": (sneaky_bits, 0.96, 0.96),
    # 0.6.35: a keyword in leet makes the whole text leetspeak (90.2 / 96.5 before).
    "leetspeak, half the letters": (half_leet, 0.915, 0.96),
    # 0.6.35: a text without vowels read with them when two attack words' skeletons appear (48.6
    # / 52.3 before). The classifier does not read the filled-in words (it blocked 18 benign
    # prompts without vowels instead of 3 when it did). 0.6.36: the rules' own words are read
    # too, and one skeleton is enough in a short text (71.8 / 74.8 before).
    "vowels removed": (vowels_removed, 0.79, 0.82),
    # 0.6.35: pig Latin read when two common or attack words appear in it (27.8 / 71.2 before);
    # the classifier reads the words it stands for (it blocked 12.8% of the benign prompts and
    # 10.9% of the hard negatives in pig Latin before, 1.5% and 0.4% now).
    "pig Latin": (pig_latin, 0.78, 0.89),
    # 0.6.37: quoted-printable (garak's InjectQP) read: soft line breaks joined, UTF-8 escapes
    # decoded (86.2 / 92.0 before).
    # 0.6.37: PyRIT's character spacing read as words (68.7 / 89.3 before), its emoji letters
    # read with their presentation selector (28.7 / 35.1 before).
    "PyRIT character spacing": (character_spaced, 0.85, 0.93),
    "PyRIT letters as emoji": (emoji_letters, 0.91, 0.95),
    "quoted-printable after 'Encoded:'": (lambda t: "Encoded: " + binascii.b2a_qp(t.encode()).decode() + "\nDecoded:", 0.91, 0.95),
    # 0.6.38: PyRIT's leetspeak read with ( for c, 1 for i and l in one word, and words of digits
    # and brackets alone ("4((355") (64.0 / 85.6 before).
    "PyRIT leetspeak": (leet_pyrit, 0.86, 0.93),
    # 0.6.39: with PyRIT's default random substitutes, /\ and /-\ read as a in a leet text (73.6 /
    # 86.5 before).
    "PyRIT leetspeak, random substitutes": (leet_pyrit_random, 0.815, 0.90),
    # 0.6.39: PyRIT's homoglyph converter, every character a random look-alike: symbols that
    # imitate letters, other scripts' punctuation, capitals by their own shape, I or l, rn for m.
    # (58.0 / 79.9 before).
    "PyRIT homoglyphs": (homoglyphs_pyrit, 0.84, 0.925),
    # 0.6.39: PyRIT's math obfuscation, each character an identity on its own line (0.2 / 2.1
    # before).
    "PyRIT math obfuscation": (math_identities, 0.87, 0.905),
}
# Not an obfuscation but a surface: the explicit attacks arriving as a tool's output (indirect
# injection). One detector blocks there only at high confidence, a rule and the classifier
# together at ordinary confidence (0.6.22: 45.7 / 71.2 before that).
# In the middle of 2-4 KB of other text the classifier reads again the line a rule flagged
# (0.6.22: 47.1 / 63.7 before that).
# 0.6.25: rules only 46.2 / 46.3 → 44.6 / 44.5. About ten Tensor Trust attacks ("ö ö ö …" padding
# around "<|endoftext|>" and "Access Granted") had been blocked with the help of an SF-OBF-EVASION
# finding that the padding's rejoined letters raised for matches elsewhere; a finding's `via` now
# covers only its own span. With the classifier, as by default, they are still blocked.
filler_rng = random.Random(3)
filler = [t for t in (json.loads(l)["text"] for l in open(os.path.join(corpus, "benign_prompts.jsonl"))) if 800 < len(t) < 2000]
def in_the_middle(t): return filler_rng.choice(filler) + "\n\n" + t + "\n\n" + filler_rng.choice(filler)
surfaces = {"as a tool's output": (lambda t: t, "tool_output", 0.43, 0.83),
            "as a tool's output, in 2-4 KB of text": (in_the_middle, "tool_output", 0.43, 0.80)}
if "modes" in a:
    with tempfile.TemporaryDirectory() as work:
        for name, (rewrite, rules_floor, both_floor) in obfuscations.items():
            path = os.path.join(work, "variant.jsonl")
            with open(path, "w") as out:
                for r in explicit_rows:
                    out.write(json.dumps(dict(r, text=rewrite(r["text"]))) + "\n")
            v = evaluate_file(path)
            target(f"explicit, {name}, rules only", explicit_recall(v["modes"]["rules"]), ">=", rules_floor)
            target(f"  {name}, rules + classifier", explicit_recall(v), ">=", both_floor)
        for name, (rewrite, surface, rules_floor, both_floor) in surfaces.items():
            path = os.path.join(work, "variant.jsonl")
            with open(path, "w") as out:
                for r in explicit_rows:
                    out.write(json.dumps(dict(r, text=rewrite(r["text"]))) + "\n")
            v = evaluate_file(path, surface)
            target(f"explicit, {name}, rules only", explicit_recall(v["modes"]["rules"]), ">=", rules_floor)
            target(f"  {name}, rules + classifier", explicit_recall(v), ">=", both_floor)
        for name, rewrite in [("letters spaced out", spaced_out), ("camel case", camel_case), ("spaces removed", spaces_removed),
                              ("typos", seeded_typos), ("NATO alphabet", spelled), ("leetspeak, half the letters", half_leet),
                              ("vowels removed", vowels_removed), ("pig Latin", pig_latin), ("PyRIT leetspeak", leet_pyrit),
                              ("PyRIT leetspeak, random substitutes", leet_pyrit_random), ("PyRIT homoglyphs", homoglyphs_pyrit),
                              ("PyRIT math obfuscation", math_identities)]:
            path = os.path.join(work, "hard.jsonl")
            with open(path, "w") as out:
                for r in map(json.loads, open(os.path.join(corpus, "hard_negatives.jsonl"))):
                    out.write(json.dumps(dict(r, text=rewrite(r["text"]))) + "\n")
            target(f"hard negatives, {name}", evaluate_file(path)["benign_block_rate"], "<=", 0.03)
# Contextual attacks (off-topic questions, persuasion, personal data asked for behind a pretext)
# depend on the application's system prompt; the floors guard what the rules already catch
# (0.6.28: 45.8% rules only, 69.0% with the classifier).
def contextual_recall(report):
    c = report["tiers"].get("injection/contextual", {"rows": 0, "blocked": 0})
    return c["blocked"] / max(1, c["rows"])
if "modes" in a:
    target("contextual attacks blocked, rules only", contextual_recall(a["modes"]["rules"]), ">=", 0.42)
target("contextual attacks blocked, rules + classifier", contextual_recall(a), ">=", 0.65)
target("benign prompts blocked", evaluate("benign_prompts.jsonl")["benign_block_rate"], "<=", 0.01)
target("hard negatives blocked", evaluate("hard_negatives.jsonl")["benign_block_rate"], "<=", 0.03)
# A gateway may forward the whole chat request, the application's system message included: the
# hard negatives behind "You are a helpful assistant." stay under the same limit (0.6.5 blocked
# 25% of them: the classifier read the system message and the question as one persona set-up).
with tempfile.TemporaryDirectory() as work:
    path = os.path.join(work, "chat.jsonl")
    with open(path, "w") as out:
        for r in map(json.loads, open(os.path.join(corpus, "hard_negatives.jsonl"))):
            out.write(json.dumps(dict(r, text=variants["after a system message"](r["text"]))) + "\n")
    target("hard negatives after a system message", evaluate_file(path)["benign_block_rate"], "<=", 0.03)
r = evaluate("benign_responses.jsonl")
target("benign responses blocked", r["benign_block_rate"], "<=", 0.005)
target("benign responses masked", r["benign_mask_rate"], "<=", 0.03)
target("benign tool outputs blocked", evaluate("benign_tool_outputs.jsonl")["benign_block_rate"], "<=", 0.01)
s = evaluate("pii_secrets.jsonl")
target("PII/secret span recall", span_recall(s), ">=", 0.99)
# The same personal data written in the other ways people write it: every value rewritten, with
# its span moved, keeps span recall at 99% (a temporary file, deleted after).
def digits(v): return "".join(c for c in v if c.isdigit())
def grouped(v, sizes, sep):
    d, out = digits(v), []
    for n in sizes:
        out.append(d[:n]); d = d[n:]
    return sep.join(out + ([d] if d else []))
def card(v, sep): return grouped(v, [4, 6] if len(digits(v)) == 15 else [4, 4, 4], sep)
formats = {
    "phone": [lambda v: "+1" + digits(v)[-10:], lambda v: "1-" + grouped(digits(v)[-10:], [3, 3], "-"),
              lambda v: grouped(digits(v)[-10:], [3, 3], ".")],
    "ssn": [lambda v: grouped(v, [3, 2], " "), lambda v: grouped(v, [3, 2], ".")],
    "credit_card": [lambda v: card(v, "."), lambda v: card(v, " "), lambda v: digits(v)],
    "iban": [lambda v: v.lower(), lambda v: " ".join(v.replace(" ", "")[i:i + 4] for i in range(0, len(v.replace(" ", "")), 4))],
}
def rewrite_values(r, k):
    text, spans, shift, pos, out = r["text"], [], 0, 0, []
    for start, end, kind in sorted(r["spans"]):
        value = text[start:end]
        ways = formats.get(kind)
        new = ways[k % len(ways)](value) if ways else value
        out.append(text[pos:start]); out.append(new); pos = end
        spans.append([start + shift, start + shift + len(new), kind]); shift += len(new) - len(value)
    out.append(text[pos:])
    return dict(r, text="".join(out), spans=spans)
pii_rows = [r for r in map(json.loads, open(os.path.join(corpus, "pii_secrets.jsonl")))
            if any(kind in formats for _, _, kind in r.get("spans", []))]
for k in range(3):
    v = evaluate_rows([rewrite_values(r, k) for r in pii_rows])
    target(f"PII values in other formats ({k + 1} of 3)", span_recall(v), ">=", 0.99)
target("look-alike negatives flagged", lookalikes_flagged(s), "<=", 0.02)
# Other spacing between the groups of a value and around it (a PDF's no-break spaces, a table's
# tabs, doubled spaces): every space of every row rewritten, spans moved to match.
def respace(r, gap):
    text, at, out = r["text"], [], []
    for ch in text:
        at.append(len(out)); out.extend(gap if ch == " " else ch)
    at.append(len(out))
    spans = [[at[start], at[end] - (len(gap) - 1 if end > 0 and text[end - 1] == " " else 0), kind]
             for start, end, kind in r.get("spans", [])]
    return dict(r, text="".join(out), spans=spans)
all_rows = [json.loads(line) for line in open(os.path.join(corpus, "pii_secrets.jsonl"))]
for name, gap in [("doubled spaces", "  "), ("tabs", "\t"), ("no-break spaces", "\u00a0")]:
    v = evaluate_rows([respace(r, gap) for r in all_rows])
    target(f"PII/secret span recall, {name}", span_recall(v), ">=", 0.99)
    target(f"look-alike negatives flagged, {name}", lookalikes_flagged(v), "<=", 0.02)
print("\n".join(rows))
if failures:
    print("quality gate FAILED:", ", ".join(failures))
    sys.exit(1)
print("quality gate: all targets met")
