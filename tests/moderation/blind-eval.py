#!/usr/bin/env python3
"""Measure the content-safety engine on a blind set through POST /v1/moderation/check (the
figures of bench/README.md, "Content safety on blind sets (issue 14)"): refusal recall, hard and
soft false positives on clean lines, style flags; per rule. Needs a server with a high
SELLERDESK_MODERATION_CHECK_RATE and the platform the set was written for.
usage: eval.py SET.tsv BASE_URL TOKEN [OUT.tsv]"""
import json, sys, urllib.request
path, base, token = sys.argv[1:4]
out = open(sys.argv[4], 'w') if len(sys.argv) > 4 else None
HARD = {'phone','email','url','messenger','offsite_sale','payment_off_platform','card_number','credentials_request','profanity'}
n = {'refuse':0,'pass':0,'flag':0}; refused_any=0; refused_exact=0; hard_fp=0; soft_fp=0; flag_ok=0
per_rule = {}
for line in open(path, encoding='utf-8'):
    line=line.rstrip('\n')
    if not line or line.startswith('#'): continue
    expect, rules, family, text = line.split('\t')
    req = urllib.request.Request(base + '/v1/moderation/check', data=json.dumps({'text': text}).encode(),
        headers={'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'})
    ans = json.load(urllib.request.urlopen(req))
    hard = {v['rule'] for v in ans['violations'] if v['severity'] == 'hard'}
    soft = {v['rule'] for v in ans['violations'] if v['severity'] == 'soft'}
    want = set() if rules == '-' else set(rules.split(','))
    n[expect] += 1
    ok = True
    if expect == 'refuse':
        refused_any += bool(hard); refused_exact += want <= hard; ok = want <= hard
        for r in want:
            t = per_rule.setdefault(r, [0, 0]); t[1] += 1; t[0] += r in hard
    elif expect == 'pass':
        hard_fp += bool(hard); soft_fp += bool(soft) and not hard; ok = not hard and not soft
    else:
        good = want <= soft and not hard; flag_ok += good; ok = good
    if out:
        out.write('\t'.join([('ok' if ok else 'MISS'), expect, rules, ','.join(sorted(hard)) or '-', ','.join(sorted(soft)) or '-', family, text]) + '\n')
pct = lambda a, b: f'{100.0*a/b:.1f} % ({a}/{b})' if b else '-'
print(f'refuse lines refused (any hard rule): {pct(refused_any, n["refuse"])}')
print(f'refuse lines with every listed rule found: {pct(refused_exact, n["refuse"])}')
print(f'clean lines refused (hard false positives): {pct(hard_fp, n["pass"])}')
print(f'clean lines flagged only (soft false positives): {pct(soft_fp, n["pass"])}')
print(f'style lines flagged right: {pct(flag_ok, n["flag"])}')
for r, (a, b) in sorted(per_rule.items()):
    print(f'  {r:22s} {pct(a, b)}')
