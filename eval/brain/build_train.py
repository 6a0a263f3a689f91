#!/usr/bin/env python3
"""Builds eval/brain/train.jsonl: training rows for the learned brain heads.

Two sources: rows of Bitext, BANKING77, CLINC150 and GoEmotions that are NOT in
eval/dev.jsonl (eval/build_dataset.py's `tuning`, 250 per label), and hand-written examples
(eval/brain/written.py). Deterministic: fixed seeds, sorted output, same bytes every run.

    python3 eval/brain/build_train.py [--data /work/shared/data] [--out eval/brain/train.jsonl]

Each line: {"text", "source", "labels": {category, question, angry, legal, injection,
instructor, automated}}; null means "this row says nothing about that head".
"""

import argparse
import csv
import json
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # write nothing outside the output file (no __pycache__)
HERE = Path(__file__).resolve().parent
EVAL = HERE.parent
sys.path.insert(0, str(EVAL))
sys.path.insert(0, str(HERE))

import build_dataset as bd  # noqa: E402  (eval/build_dataset.py: tuning(), clean())
import written  # noqa: E402

HEADS = written.HEADS
PER_LABEL = 250

# --- public rows: label mapping --------------------------------------------------------------

QUESTION = {  # refund-related intents: 1 = asks about a refund, 0 = asks for one now
    "bitext:check_refund_policy": 1,
    "bitext:track_refund": 1,
    "banking77:Refund_not_showing_up": 1,
    "bitext:get_refund": 0,
    "banking77:request_refund": 0,
}
# BANKING77 request_refund holds some rows that ask about the policy, timing or a hypothetical
# ("What is the refund policy?", "If I bought something I didn't like, can I get a refund?").
# By the head's definition those are "about", not "for": left unlabelled rather than 0.
ABOUT_REFUND = re.compile(
    r"\bpolic|do you (give|offer) refunds|are refunds|returnable|how long|\bif i (bought|buy)\b|"
    r"\ballowed\b",
    re.I,
)
# Crowd-written bank queries that are plainly exasperated: not "0" for the anger head.
ANGRY_HINT = re.compile(
    r"aggravat|frustrat|for crying out loud|done with these|had enough|these people|"
    r"i refuse|fed up|sick of|ridiculous|unacceptable|annoy|angry|furious|upset|"
    r"not very cool|what's the deal|what is going on|i demand",
    re.I,
)
# Reddit comments that talk about suing or lawyers: not "0" for the legal head.
SLOT = re.compile(r"\{[a-z_0-9]+\}")
LEGAL_HINT = re.compile(r"lawyer|attorney|solicitor|\bsue\b|\bsuing\b|lawsuit|court\b|legal", re.I)


def public_rows(data, dev):
    with open(data / "bitext-customer-support" / "bitext_dev.csv", newline="") as f:
        bitext_tags = [r["tags"] for r in csv.DictReader(f)]
    out, notes = [], {"bitext_W_angry_null": 0, "banking_angry_null": 0,
                      "request_refund_about_null": 0, "goemotions_legal_null": 0}
    for r in bd.tuning(data, dev, per_label=PER_LABEL):
        src, text, exp = r["source"], r["body"], r["expected"]
        lab = {h: None for h in HEADS}
        if src.startswith("goemotions:"):
            lab.update(angry=1, injection=0, instructor=0, automated=0, legal=0)
            if LEGAL_HINT.search(text):
                lab["legal"] = None
                notes["goemotions_legal_null"] += 1
        elif src == "clinc150:negative":
            lab.update(category="unknown", angry=0, legal=0, injection=0, instructor=0,
                       automated=0)
        else:  # Bitext, BANKING77: ordinary customer queries
            lab.update(category=exp.get("category"), question=QUESTION.get(src), angry=0,
                       legal=0, injection=0, instructor=0, automated=0)
            if src in ("bitext:complaint", "bitext:contact_human_agent"):
                lab["angry"] = None  # a complaint may or may not be angry
            if src == "bitext:complaint":
                lab["legal"] = None  # "file a consumer claim against your company": arguable
            if src.startswith("bitext:"):
                i = int(r["id"].rsplit("-", 1)[1])
                if "W" in bitext_tags[i] and lab["angry"] == 0:
                    lab["angry"] = None  # offensive wording: possibly angry, not asserted
                    notes["bitext_W_angry_null"] += 1
            elif ANGRY_HINT.search(text) and lab["angry"] == 0:
                lab["angry"] = None
                notes["banking_angry_null"] += 1
            if src == "banking77:request_refund" and ABOUT_REFUND.search(text):
                lab["question"] = None
                notes["request_refund_about_null"] += 1
        out.append({"text": text, "source": src, "labels": lab})
    return out, notes


# --- assembly --------------------------------------------------------------------------------

def key(text):
    return bd.clean(text).lower()


def merge(rows):
    """One row per lower-cased cleaned text. Labels are combined (a null takes the other's
    value); two different non-null values make that head null. The row kept is the first in
    (source, text) order."""
    groups = {}
    for r in rows:
        groups.setdefault(key(r["text"]), []).append(r)
    out, dropped, conflicts = [], 0, {}
    for k in sorted(groups):
        rs = sorted(groups[k], key=lambda r: (r["source"], r["text"]))
        dropped += len(rs) - 1
        lab = {}
        for h in HEADS:
            vals = sorted({r["labels"][h] for r in rs} - {None}, key=str)
            lab[h] = vals[0] if len(vals) == 1 else None
            if len(vals) > 1:
                conflicts[h] = conflicts.get(h, 0) + 1
        out.append({"text": rs[0]["text"], "source": rs[0]["source"],
                    "labels": {h: lab[h] for h in HEADS}})
    return out, dropped, conflicts


def tokens(text):
    return set(re.findall(r"\w+", text.lower()))


def near_dev(rows, dev, threshold=0.8):
    """Written rows whose word set overlaps a dev body's by Jaccard >= threshold."""
    dev_sets = [(tokens(s["body"]), s["id"]) for s in dev]
    hits = []
    for r in rows:
        if not r["source"].startswith("written:"):
            continue
        t = tokens(r["text"])
        for d, sid in dev_sets:
            if t and d and len(t & d) / len(t | d) >= threshold:
                hits.append((r["text"], sid))
    return hits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/shared/data", type=Path)
    ap.add_argument("--out", default=HERE / "train.jsonl", type=Path)
    args = ap.parse_args()

    dev = [json.loads(l) for l in (EVAL / "dev.jsonl").read_text(encoding="utf-8").splitlines()
           if l.strip()]
    pub, notes = public_rows(args.data, dev)
    wr = written.examples()
    rows, dropped, conflicts = merge(pub + wr)

    # Dev must never be trained on: no training text may equal a dev body.
    dev_keys = {key(s["body"]) for s in dev}
    leaked = [r["text"] for r in rows if key(r["text"]) in dev_keys]
    if leaked:
        sys.exit(f"{len(leaked)} training texts equal a dev body, e.g. {leaked[:3]}")
    near = near_dev(rows, dev)
    for text, sid in near:
        print(f"warning: written text close to dev {sid}: {text[:80]!r}", file=sys.stderr)

    for r in rows:
        lab = r["labels"]
        assert set(lab) == set(HEADS)
        assert lab["category"] is None or lab["category"] in written.CATEGORIES, r
        assert all(lab[h] in (0, 1, None) for h in HEADS[1:]), r
        assert any(lab[h] is not None for h in HEADS), r
        assert not SLOT.search(r["text"]), f"unfilled slot: {r['text']!r}"

    rows.sort(key=lambda r: (r["source"], r["text"]))
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    err = sys.stderr
    print(f"{len(rows)} rows -> {args.out} ({len(pub)} public + {len(wr)} written before "
          f"de-duplication; {dropped} duplicates merged; conflicts nulled: {conflicts or 0})",
          file=err)
    print("public-row adjustments: " + ", ".join(f"{k}={v}" for k, v in notes.items()),
          file=err)
    print(f"{'head':<11} {'pos':>6} {'neg':>6} {'null':>6}   written pos / neg", file=err)
    for h in HEADS[1:]:
        pos = sum(r["labels"][h] == 1 for r in rows)
        neg = sum(r["labels"][h] == 0 for r in rows)
        wpos = sum(r["labels"][h] == 1 for r in rows if r["source"].startswith("written:"))
        wneg = sum(r["labels"][h] == 0 for r in rows if r["source"].startswith("written:"))
        print(f"{h:<11} {pos:>6} {neg:>6} {len(rows) - pos - neg:>6}   {wpos} / {wneg}",
              file=err)
    print("category (all / written):", file=err)
    for c in written.CATEGORIES + (None,):
        n = sum(r["labels"]["category"] == c for r in rows)
        w = sum(r["labels"]["category"] == c for r in rows if r["source"].startswith("written:"))
        print(f"  {str(c):<18} {n:>6} / {w}", file=err)
    by = {}
    for r in rows:
        by[r["source"]] = by.get(r["source"], 0) + 1
    print("by source:", file=err)
    for s in sorted(by):
        print(f"  {s:<38} {by[s]}", file=err)


if __name__ == "__main__":
    main()
