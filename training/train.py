#!/usr/bin/env python3
"""Trains ShieldFlow's learned injection/jailbreak classifier.

Reproducible: the same corpus, seed and binary give the same weights. Uses only sources whose
licences allow shipping derived weights (see ../../shared/corpus/README.md) plus this project's
synthetic text; evaluation-only sources are never read. A hash split keeps 20% of the rows apart for
calibrating the threshold and reporting development metrics.

    python3 training/train.py --corpus ../shared/corpus/dev --binary .build/release/shieldflow
"""
import argparse, hashlib, json, os, struct, subprocess, sys, tempfile, random
import numpy as np
from scipy import sparse, optimize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth

PERMISSIVE = ["meta-llama/PurpleLlama", "sherdencooper/GPTFuzz", "openai/grade-school-math", "leolee99/InjecGuard",
              "microsoft/BIPIA", "octokit/fixtures", "lm-sys/FastChat", "lm-sys/arena-hard-auto", "yizhongw/self-instruct",
              "arnav-gudibande/koala-test-set", "josejg/instruction_following_eval", "f/awesome-chatgpt-prompts",
              "paul-rottger/exaggerated-safety", "tldr-pages/tldr", "synthetic:"]
# Model answers are under their providers' terms even where the questions are permissive.
FILES = {"attacks.jsonl": "attack", "benign_prompts.jsonl": "benign", "hard_negatives.jsonl": "benign",
         "benign_tool_outputs.jsonl": "benign"}
TOOL_OUTPUT_OK = ["meta-llama/PurpleLlama", "microsoft/BIPIA", "tldr-pages/tldr", "octokit/fixtures", "leolee99/InjecGuard",
                  "f/awesome-chatgpt-prompts", "paul-rottger/exaggerated-safety"]
MAX_WINDOWS = 8


def permissive(source, file):
    allowed = TOOL_OUTPUT_OK if file == "benign_tool_outputs.jsonl" else PERMISSIVE
    return any(source.startswith(p) for p in allowed)


def split_of(text):
    return "dev" if int(hashlib.sha256(text.encode()).hexdigest(), 16) % 5 == 0 else "train"


def load_corpus(corpus):
    rows = []
    for name, kind in FILES.items():
        for line in open(os.path.join(corpus, name), encoding="utf-8"):
            r = json.loads(line)
            if not permissive(r["source"], name):
                continue
            if kind == "attack" and r.get("tier") != "explicit":
                continue  # contextual attacks are benign questions out of context: not a text property
            rows.append({"text": r["text"], "y": 1 if kind == "attack" else 0, "group": name.split(".")[0], "split": split_of(r["text"])})
    return rows


def featurize(binary, rules, texts, bits):
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "in.jsonl"), os.path.join(d, "f.bin")
        with open(src, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        subprocess.run([binary, "model", "features", "--input", src, "--out", out, "--bits", str(bits), "--rules", rules,
                        "--model", "off"], check=True, stdout=subprocess.DEVNULL)
        data = np.fromfile(out, dtype="<u4")
    windows = []  # per text: list of index arrays
    i = 0
    for _ in texts:
        i += 1  # row number
        count = int(data[i]); i += 1
        ws = []
        for _ in range(count):
            n = int(data[i]); i += 1
            ws.append(data[i:i + n].astype(np.int64)); i += n
        windows.append(ws)
    return windows


def matrix(windows, dim):
    indptr, indices, values = [0], [], []
    owner = []
    for t, ws in enumerate(windows):
        for w in ws[:MAX_WINDOWS]:
            if len(w) == 0:
                continue
            uniq, counts = np.unique(w, return_counts=True)
            indices.append(uniq); values.append(counts / np.sqrt(len(w)))
            indptr.append(indptr[-1] + len(uniq)); owner.append(t)
    X = sparse.csr_matrix((np.concatenate(values).astype(np.float64), np.concatenate(indices), np.array(indptr)), shape=(len(owner), dim))
    return X, np.array(owner)


def train(X, y, sample_weight, lam):
    dim = X.shape[1]
    s = sample_weight / sample_weight.sum()
    ys = 2.0 * y - 1.0

    def loss(params):
        w, b = params[:-1], params[-1]
        z = X @ w + b
        m = -ys * z
        l = np.logaddexp(0, m)
        g = -ys * (1.0 / (1.0 + np.exp(-m))) * s
        grad_w = X.T @ g + lam * w
        return float((s * l).sum() + 0.5 * lam * w @ w), np.concatenate([grad_w, [g.sum()]])

    res = optimize.minimize(loss, np.zeros(dim + 1), jac=True, method="L-BFGS-B", options={"maxiter": 400})
    return res.x[:-1], res.x[-1]


def quantize(w):
    scale = float(np.abs(w).max() / 127.0) or 1.0
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale


def text_scores(windows, wq, scale, bias):
    out = np.zeros(len(windows))
    for t, ws in enumerate(windows):
        best = 0.0
        for w in ws:  # inference scores every window
            if len(w) == 0:
                continue
            z = bias + scale * wq[w].astype(np.int64).sum() / np.sqrt(len(w))
            best = max(best, 1.0 / (1.0 + np.exp(-z)))
        out[t] = best
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="../shared/corpus/dev")
    ap.add_argument("--binary", default=".build/release/shieldflow")
    ap.add_argument("--rules", default="rules")
    ap.add_argument("--out", default="models/sf-injection.sfm")
    ap.add_argument("--metrics", default="models/sf-injection.metrics.json")
    ap.add_argument("--version", default="v1")
    ap.add_argument("--bits", type=int, default=16)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--lambdas", default="1e-6,3e-6,1e-5", help="L2 strengths tried; the best by dev real-attack recall, then log loss is kept")
    ap.add_argument("--max-prompt-fp", type=float, default=0.01)
    ap.add_argument("--max-tool-fp", type=float, default=0.005)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    rows = load_corpus(args.corpus)
    docs = [r["text"] for r in rows if r["group"] == "benign_tool_outputs" and r["split"] == "train"]
    for t in synth.attacks(rng, docs, 5000):
        rows.append({"text": t, "y": 1, "group": "synthetic_attack", "split": split_of(t)})
    for t in synth.benign(rng, 3500):
        rows.append({"text": t, "y": 0, "group": "synthetic_benign", "split": split_of(t)})
    # Identical texts in both splits would leak: keep the first split a text was given.
    seen, unique = {}, []
    for r in rows:
        if r["text"] not in seen:
            seen[r["text"]] = r
            unique.append(r)
    rows = unique
    print(f"{len(rows)} texts: " + ", ".join(f"{g} {sum(1 for r in rows if r['group'] == g)}" for g in sorted({r['group'] for r in rows})))

    windows = featurize(args.binary, args.rules, [r["text"] for r in rows], args.bits)
    dim = 1 << args.bits
    train_idx = [i for i, r in enumerate(rows) if r["split"] == "train"]
    dev_idx = [i for i, r in enumerate(rows) if r["split"] == "dev"]
    X, owner = matrix([windows[i] for i in train_idx], dim)
    y_text = np.array([rows[i]["y"] for i in train_idx], dtype=np.float64)
    y = y_text[owner]
    # Each text weighs the same whatever its number of windows; the classes weigh the same.
    per_text = np.bincount(owner, minlength=len(train_idx)).astype(np.float64)
    class_w = np.where(y_text == 1, 0.5 / y_text.sum(), 0.5 / (1 - y_text).sum())
    sw = (class_w / np.maximum(per_text, 1))[owner]

    best = None
    dev_windows = [windows[i] for i in dev_idx]
    dev_y = np.array([rows[i]["y"] for i in dev_idx])
    dev_groups = [rows[i]["group"] for i in dev_idx]
    def quantile_threshold(scores, max_fp):
        benign = np.sort(scores)
        return max(0.5, float(benign[min(len(benign) - 1, int(np.ceil(len(benign) * (1 - max_fp))))]) + 1e-6)

    prompt_like = np.array([g in ("benign_prompts", "hard_negatives", "synthetic_benign") for g in dev_groups])
    tool_like = np.array([g == "benign_tool_outputs" for g in dev_groups])
    real_attack = np.array([g == "attacks" for g in dev_groups])
    for lam in [float(x) for x in args.lambdas.split(",")]:
        w, b = train(X, y, sw, lam)
        wq, scale = quantize(w)
        s = text_scores(dev_windows, wq, scale, b)
        t = quantile_threshold(s[prompt_like], args.max_prompt_fp)
        recall = float((s[dev_y == 1] >= t).mean())
        real = float((s[real_attack] >= t).mean())
        # Class-balanced log loss of the text scores on the development split: the finer signal
        # when real-attack recall ties (30 real attacks move it in steps of 3%). Overall recall
        # is not a tie-break: it moves by single synthetic rows between strengths (0.959 against
        # 0.957 is one row of 553) and picked the least regularised model for that one row.
        p = np.clip(s, 1e-6, 1 - 1e-6)
        loss = float(-np.mean(np.log(p[dev_y == 1])) - np.mean(np.log(1 - p[dev_y == 0])))
        print(f"lambda {lam:g}: dev recall {recall:.3f} (real attacks {real:.3f}) at prompt threshold {t:.3f}, log loss {loss:.4f}")
        if best is None or (real, -loss) > best[0]:
            best = ((real, -loss), lam, wq, scale, b, t, s)
    _, lam, wq, scale, b, t, s = best
    tool_t = max(t, quantile_threshold(s[tool_like], args.max_tool_fp))

    metrics = {"version": args.version, "lambda": lam, "threshold": t, "tool_output_threshold": tool_t, "dimension_bits": args.bits,
               "train_texts": len(train_idx), "dev_texts": len(dev_idx), "dev": {}}
    for g in sorted(set(dev_groups)):
        m = np.array([x == g for x in dev_groups])
        rate = float((s[m] >= (tool_t if g == "benign_tool_outputs" else t)).mean())
        metrics["dev"][g] = {"rows": int(m.sum()), ("recall" if dev_y[m][0] == 1 else "flagged"): round(rate, 4)}
    print(json.dumps(metrics, indent=2))

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    version = f"{args.version}".encode()
    with open(args.out, "wb") as f:
        f.write(b"SFM1" + struct.pack("<IffffH", args.bits, float(b), float(scale), float(t), float(tool_t), len(version)) + version)
        f.write(wq.tobytes())
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes), sha256 {hashlib.sha256(open(args.out, 'rb').read()).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
