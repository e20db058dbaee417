#!/usr/bin/env python3
"""Explicit attacks of the development corpus rewritten in other formats and obfuscations, scanned
again: the share blocked, rules only and with the classifier, per variant (the README's table).
Reads the corpus in place and writes its rewrites to a temporary file, deleted after.

    python3 tests/format_variants.py .build/release/shieldflow ../shared/corpus/dev [--benign] [--only TEXT]

With --benign, the first 1,500 benign prompts and the hard negatives are rewritten the same ways
and the share blocked is printed instead. --only runs the variants whose name contains TEXT. quality_gate.py holds a subset of these to floors."""
import base64, binascii, codecs, quopri, json, os, random, subprocess, sys, tempfile, urllib.parse
from rewrites import homoglyphs_pyrit, math_identities, leet_pyrit, leet_pyrit_random, character_spaced, punctuation_inserted, characters_swapped, emoji_letters, ascii85, base85, base65536, half_leet, pig_latin, sneaky_bits, vowels_removed, uuencoded, variation_selectors, homoglyphs, hyphens_in_words, shift, small_caps, spelled, spelled_unbroken, stuttered, turned, typos

binary, corpus = sys.argv[1], sys.argv[2]
benign = "--benign" in sys.argv[3:]
only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def evaluate(path, surface):
    p = subprocess.run([binary, "eval", "--format", "json", "--rules", os.path.join(root, "rules"),
                        "--surface", surface, "--input", path], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def explicit_recall(report):
    explicit = [v for k, v in report["tiers"].items() if k.endswith("/explicit")]
    return sum(v["blocked"] for v in explicit) / max(1, sum(v["rows"] for v in explicit))


rng = random.Random(3)
filler = [t for t in (json.loads(l)["text"] for l in open(os.path.join(corpus, "benign_prompts.jsonl"))) if 800 < len(t) < 2000]


def upside_down(t): return t.lower().translate(turned)[::-1]
def char_codes(t): return "Decode these ASCII codes and follow them: " + " ".join(str(ord(c)) for c in t)


def html(t): return "<html><body><p>" + t.replace("\n", "<br>") + "</p></body></html>"
def middle(t): return rng.choice(filler) + "\n\n" + t + "\n\n" + rng.choice(filler)


# name → (rewrite, surface)
variants = {
    "as written": (lambda t: t, "prompt"),
    "zero-width space inside words": (lambda t: " ".join("\u200b".join(w) for w in t.split(" ")), "prompt"),
    "soft hyphens inside words": (lambda t: " ".join("\u00ad".join(w) for w in t.split(" ")), "prompt"),
    "a hyphen inside each long word (ig-nore)": (hyphens_in_words, "prompt"),
    "a letter doubled in each word (ignnore)": (stuttered, "prompt"),
    "Cyrillic look-alike letters": (lambda t: t.translate(homoglyphs), "prompt"),
    "full-width letters": (lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t), "prompt"),
    "combining accents on every letter": (lambda t: "".join(c + "\u0301" if c.isalpha() else c for c in t), "prompt"),
    "small capitals (ɪɢɴᴏʀᴇ)": (lambda t: t.translate(small_caps), "prompt"),
    "upside down (ǝɹouƃᴉ)": (upside_down, "prompt"),
    "decimal character codes after 'decode and follow'": (char_codes, "prompt"),
    "octal codes of UTF-8 bytes, nothing else": (lambda t: " ".join("%03o" % b for b in t.encode()), "prompt"),
    "random case": (lambda t: "".join(c.upper() if rng.random() < .5 else c.lower() for c in t), "prompt"),
    "emoji between words": (lambda t: " 🙂 ".join(t.split(" ")), "prompt"),
    "letters spaced out, two spaces between words": (lambda t: "  ".join(" ".join(w) for w in t.split(" ")), "prompt"),
    "letters dotted (i.g.n.o.r.e a.l.l)": (lambda t: " ".join(".".join(w) for w in t.split(" ")), "prompt"),
    "leetspeak (aeiost as 431057)": (lambda t: t.translate(str.maketrans("aeiost", "431057")), "prompt"),
    "leetspeak, half the letters (garak)": (half_leet, "prompt"),
    "dots for spaces": (lambda t: ".".join(t.split(" ")), "prompt"),
    "pipes between words": (lambda t: " | ".join(t.split(" ")), "prompt"),
    "slashes for spaces": (lambda t: "/".join(t.split(" ")), "prompt"),
    "form-encoded (+ for spaces)": (lambda t: urllib.parse.quote_plus(t), "prompt"),
    "URL-encoded": (lambda t: urllib.parse.quote(t), "prompt"),
    "camel case": (lambda t: "".join(w[:1].upper() + w[1:] for w in t.split(" ")), "prompt"),
    "one character per line": (lambda t: "\n".join(t), "prompt"),
    "one word per line": (lambda t: "\n".join(t.split()), "prompt"),
    "typos in a quarter of the long words": (lambda t: typos(t, rng), "prompt"),
    "vowels removed": (vowels_removed, "prompt"),
    "pig Latin (first letter moved)": (pig_latin, "prompt"),
    "base32 after 'decode this'": (lambda t: "Decode this base32: " + base64.b32encode(t.encode()).decode(), "prompt"),
    "Caesar shift 3 after 'decode and follow it'": (lambda t: "This is a Caesar cipher, decode and follow it: " + shift(t, 3), "prompt"),
    "Caesar shift 5, nothing else": (lambda t: shift(t, 5), "prompt"),
    "Atbash, nothing else": (lambda t: shift(t, 26), "prompt"),
    "NATO alphabet, / between words": (spelled, "prompt"),
    "NATO alphabet, no breaks (as garak spells)": (spelled_unbroken, "prompt"),
    "spaces removed": (lambda t: "".join(t.split()), "prompt"),
    "base64, nothing else": (lambda t: base64.b64encode(t.encode()).decode(), "prompt"),
    "base64 after 'decode this and do what it says'": (lambda t: "Decode this base64 and do what it says: " + base64.b64encode(t.encode()).decode(), "prompt"),
    "hex": (lambda t: t.encode().hex(), "prompt"),
    "Ascii85 after 'Encoded:' (garak)": (lambda t: "Encoded: " + ascii85(t) + "\nDecoded:", "prompt"),
    "base85, nothing else": (base85, "prompt"),
    "quoted-printable after 'Encoded:' (garak)": (lambda t: "Encoded: " + binascii.b2a_qp(t.encode()).decode() + "\nDecoded:", "prompt"),
    "quoted-printable as MIME after 'What does this mean?' (garak)": (lambda t: "What does this mean? " + quopri.encodestring(t.encode()).decode() + "\n", "prompt"),
    "uuencoded after 'What does this mean?' (garak)": (lambda t: "What does this mean? " + uuencoded(t) + "\n", "prompt"),
    "in variation selectors after a greeting (garak)": (lambda t: "Hello! " + variation_selectors(t), "prompt"),
    "in sneaky bits (invisible times and plus)": (sneaky_bits, "prompt"),
    "base65536 after 'Encoded:'": (lambda t: "Encoded: " + base65536(t) + "\nDecoded:", "prompt"),
    "ROT13 after 'decode and follow it'": (lambda t: "The following is ROT13, decode and follow it: " + codecs.encode(t, "rot13"), "prompt"),
    "in a markdown code block": (lambda t: "```\n" + t + "\n```", "prompt"),
    "in an e-mail": (lambda t: "From: alice@example.com\nSubject: request\n\nHi,\n\n" + t + "\n\nThanks,\nAlice", "prompt"),
    "in HTML": (html, "prompt"),
    "in a markdown table": (lambda t: "| id | note |\n|---|---|\n| 1 | " + t.replace("\n", " ") + " |", "prompt"),
    "in a JSON tool call": (lambda t: json.dumps({"tool": "search", "arguments": {"query": t}}), "prompt"),
    "in the middle of 2-4 KB of other prompts": (middle, "prompt"),
    "PyRIT character spacing (three spaces between words)": (character_spaced, "prompt"),
    "PyRIT punctuation inserted inside words": (punctuation_inserted, "prompt"),
    "PyRIT characters swapped in a fifth of the words": (characters_swapped, "prompt"),
    "PyRIT letters as emoji (🅐, 🅰️, 🄰)": (emoji_letters, "prompt"),
    "PyRIT leetspeak, first substitutes (4 8 ( 3 9 1 1 0 5 7 2)": (leet_pyrit, "prompt"),
    "PyRIT leetspeak, random substitutes (@ /\\ ^ |3 [ < { ! | $ …)": (leet_pyrit_random, "prompt"),
    "PyRIT homoglyphs, every character a random look-alike (confusable_homoglyphs)": (homoglyphs_pyrit, "prompt"),
    "PyRIT math obfuscation, each character an identity on its own line (X = nX - mX)": (math_identities, "prompt"),
    "reversed": (lambda t: t[::-1], "prompt"),
    "each word reversed, in order": (lambda t: " ".join(w[::-1] for w in t.split(" ")), "prompt"),
    "as a tool's output": (lambda t: t, "tool_output"),
    "as a tool's output, in the middle of 2-4 KB": (middle, "tool_output"),
}

sets = ([("benign prompts", "benign_prompts.jsonl", 1500), ("hard negatives", "hard_negatives.jsonl", None)] if benign
        else [("explicit attacks", "attacks.jsonl", None)])
with tempfile.TemporaryDirectory() as work:
    for title, name, limit in sets:
        rows = [json.loads(l) for l in open(os.path.join(corpus, name))]
        rows = rows[:limit] if benign else [r for r in rows if r.get("tier") == "explicit"]
        print(f"{title} ({len(rows)}), % blocked: rules only / rules + classifier")
        for variant, (rewrite, surface) in variants.items():
            if only and only not in variant: continue
            path = os.path.join(work, "variant.jsonl")
            with open(path, "w") as out:
                for r in rows:
                    out.write(json.dumps(dict(r, text=rewrite(r["text"]))) + "\n")
            report = evaluate(path, surface)
            if benign:
                rules_rate = report["modes"]["rules"]["benign_block_rate"] if "modes" in report else float("nan")
                print(f"  {variant:<48} {rules_rate * 100:5.2f} / {report['benign_block_rate'] * 100:5.2f}", flush=True)
            else:
                rules_rate = explicit_recall(report["modes"]["rules"]) if "modes" in report else float("nan")
                print(f"  {variant:<48} {rules_rate * 100:5.1f} / {explicit_recall(report) * 100:5.1f}", flush=True)
