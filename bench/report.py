"""latest.md from latest.json: the figures beside their peers and targets, the cost at each
scale, the agreement of SAIS and PostgreSQL, and the notes of the run."""


def _n(v, unit=""):
    if v is None:
        return "—"
    if unit in ("records/s", "req/s", "households/s"):
        return f"{v:,.0f}"
    if unit == "MiB":
        return f"{v:,.0f}"
    if unit == "s":
        return f"{v:.3f}" if v < 10 else f"{v:.1f}"
    if unit == "ms":
        return f"{v:.2f}"
    return f"{v:,.3f}" if isinstance(v, float) else str(v)


def _cell(s):
    if not s:
        return "—"
    u = s.get("unit", "")
    if s["runs"] == 1:
        return "%s (1 run)" % _n(s["median"], u)
    return "%s (%s–%s, %d runs)" % (_n(s["median"], u), _n(s["min"], u), _n(s["max"], u), s["runs"])


def markdown(res):
    env = res["environment"]
    out = ["# SAIS benchmark — %s run" % env.get("mode"), "",
           "Run %s on %s (kernel %s), SAIS %s, PostgreSQL %s; %.0f s in all. Each cell: median (min–max, runs)."
           % (env.get("started"), env.get("machine"), env.get("kernel"), env.get("git"), env.get("postgresql", "—"),
              env.get("elapsed_s", 0)),
           "Load average (1 min) at the start %s, at the end %s: the machine has 2 cores, so anything above 2 "
           "means other work shared them and every figure of this run is slower than the machine can do."
           % (env.get("loadavg_start", "—"), env.get("loadavg_end", "—")), "",
           "| figure | unit | SAIS | peer | peer figure | ratio | target | result |",
           "|---|---|---|---|---|---|---|---|"]
    for f in res["figures"]:
        peer = f.get("peer") or {}
        if f.get("value") is None:
            result = "not available: %s" % f.get("reason", "")
        elif f.get("pass") is None:
            result = "reported"
        else:
            result = "**pass**" if f["pass"] else "**miss**"
        if f.get("note") and f.get("value") is not None:
            result += " (%s)" % f["note"]
        extra = ""
        if f.get("p50_ms") is not None:
            extra = "; p50 %.2f ms over %d" % (f["p50_ms"], f.get("samples", 0))
        ratio = "%.2f" % f["ratio"] if f.get("ratio") is not None else "—"
        out.append("| %s | %s | %s%s | %s | %s | %s | %s | %s |" % (
            f["name"], f["unit"], _cell(f.get("value")), extra, peer.get("name", "—"), _cell(peer.get("value")),
            ratio, f.get("target") or "—", result.replace("|", "/")))
    out += ["", "## How the cost grows", "",
            "| persons | records | SAIS ingest records/s (end to end) | µs/record | SAIS posting only records/s | SAIS peak RSS MiB | PostgreSQL ingest records/s "
            "| households | SAIS simulate s | PostgreSQL simulate s | PostgreSQL derive s | answers agree |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["scaling"]:
        si = r.get("sais_ingest")
        us = "%.2f" % (1e6 / si["median"]) if si else "—"
        ag = r.get("agreement")
        agt = "—" if not ag else ("yes" if ag["agree"] else "no (%d of %d households differ)"
                                  % (ag["households_differing"], ag["households_compared"]))
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            f"{r['persons']:,}", f"{r['records']:,}", _cell(si), us, _cell(r.get("sais_post")),
            _cell(r.get("sais_peak_rss_mib")),
            _cell(r.get("pg_ingest")), _n(r.get("households")), _cell(r.get("sais_simulate")),
            _cell(r.get("pg_simulate")), _n(r.get("pg_derive_s"), "s"), agt))
    if res.get("lmdb_bytes"):
        out += ["", "## LMDB on disk (main city)", "", "| service | MiB |", "|---|---|"]
        for k, v in sorted(res["lmdb_bytes"].items(), key=lambda kv: -kv[1]):
            out.append("| %s | %.1f |" % (k, v / 2 ** 20))
    out += ["", "## SAIS and PostgreSQL answers", ""]
    for n, ag in res.get("agreement", {}).items():
        out.append("**%s persons** — households compared one by one: %d, differing: %d." % (
            f"{int(n):,}", ag["households_compared"], ag["households_differing"]))
        out.append("")
        out.append("| count | SAIS | PostgreSQL | agree |")
        out.append("|---|---|---|---|")
        for k, c in ag["counts"].items():
            out.append("| %s | %s | %s | %s |" % (k, c["sais"], c["postgresql"], "yes" if c["agree"] else "**no**"))
        for e in ag.get("examples", [])[:5]:
            out.append("- %s: %s" % (e["household_id"], "; ".join(e["differences"])))
        out.append("")
    if res.get("notes"):
        out += ["## Notes of this run", ""] + ["- %s" % n for n in res["notes"]]
    return "\n".join(out) + "\n"
