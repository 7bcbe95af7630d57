#!/usr/bin/env python3
"""Turns the figures of bench/run.sh into one JSON document, a Markdown table and a PNG chart.

Inputs: the end-to-end rows (JSON lines, one per city size), the Google Benchmark JSON of the
micro-benchmarks and the PostgreSQL side-by-side JSON (both optional). The targets of issue 7
are printed next to each figure with the ratio figure / target (for latencies target / figure),
so that a reader sees at once how far each one is.
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile

TARGETS = {
    "apply_events_per_s": 1_000_000,
    "replay_events_per_s": 1_000_000,
    "http_ingest_events_per_s": 200_000,
    "f1_p99_ms": 1.0,
    "chain2_p99_ms": 20.0,
    "disk_bytes_per_event": 100,
    "peak_rss_mib": 1024,
}


def fmt(value, unit=""):
    if value is None:
        return "n/a"
    if isinstance(value, float) and value < 100:
        return f"{value:.2f}{unit}"
    return f"{value:,.0f}{unit}"


def end_to_end_table(rows):
    lines = [
        "| figure | " + " | ".join(f"{r['events']:,} events" for r in rows) + " | target |",
        "| --- | " + " | ".join("---:" for _ in rows) + " | ---: |",
    ]

    def line(name, values, target=""):
        lines.append(f"| {name} | " + " | ".join(values) + f" | {target} |")

    line("visits / cases / F1 / F2 after apply",
         [f"{r.get('visits', 0):,} / {r.get('persons_by_level', {}).get('0', 0):,} / "
          f"{r.get('persons_by_level', {}).get('1', 0):,} / {r.get('persons_by_level', {}).get('2', 0):,}" for r in rows])
    line("simulate, events/s", [fmt(r.get("simulate_events_per_s")) for r in rows])
    line("log ingest (`ctrace ingest`, fsynced), events/s", [fmt(r["log_ingest_events_per_s"]) for r in rows])
    line("apply: log → full derived state, events/s", [fmt(r["apply_events_per_s"]) for r in rows], "≥ 1,000,000")
    line("replay from scratch, events/s", [fmt(r["replay_events_per_s"]) for r in rows], "≥ 1,000,000")
    line("HTTP ingest, durable acks, events/s (batch, connections)",
         [f"{fmt(r['http_ingest']['events_per_s'])} ({r['http_ingest']['batch']}, {r['http_ingest']['clients']})" for r in rows],
         "≥ 200,000")
    for kind, label in (("person", "person lookup"), ("f1_list", "F1 list of a case"), ("chain_depth2", "chain depth 2")):
        target = {"f1_list": "p99 ≤ 1 ms", "chain_depth2": "p99 ≤ 20 ms"}.get(kind, "")
        line(f"{label}, idle, p50 / p99 ms",
             [f"{r['query_idle'][kind]['p50_ms']:.2f} / {r['query_idle'][kind]['p99_ms']:.2f}" for r in rows], target)
        line(f"{label}, under HTTP ingest, p50 / p99 ms",
             [f"{r['query_under_ingest'][kind]['p50_ms']:.2f} / {r['query_under_ingest'][kind]['p99_ms']:.2f}" for r in rows])
    line("data directory bytes per event (log + state)", [fmt(r["disk_bytes_per_event"]) for r in rows], "≤ 100")
    line("serve peak RSS, MiB", [fmt(r["serve_peak_rss_mib"]) for r in rows], "≤ 1,024")
    line("replay peak RSS, MiB", [fmt(r["replay_peak_rss_mib"]) for r in rows])
    line("serve CPU seconds per million events", [fmt(r["serve_cpu_s_per_million"]) for r in rows])
    line("replay CPU seconds per million events", [fmt(r["replay_cpu_s_per_million"]) for r in rows])
    return lines


def micro_table(micro):
    lines = ["| micro-benchmark | time per iteration | items/s |", "| --- | ---: | ---: |"]
    for b in micro.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        items = b.get("items_per_second")
        lines.append(f"| {b['name']} | {b['real_time']:.3g} {b['time_unit']} | {fmt(items) if items else ''} |")
    return lines


def pg_table(pg):
    lines = []
    table = pg.get("table") if isinstance(pg, dict) else None
    if isinstance(table, list) and table:
        keys = list(table[0].keys())
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("| " + " | ".join("---" for _ in keys) + " |")
        for entry in table:
            lines.append("| " + " | ".join(str(entry.get(k, "")) for k in keys) + " |")
    else:
        lines.append("```")
        lines.append(json.dumps(pg, indent=1)[:4000])
        lines.append("```")
    return lines


def plot(rows, path):
    if not shutil.which("gnuplot") or not rows:
        return False
    r = rows[-1]
    bars = [
        ("apply ev/s", r["apply_events_per_s"] / TARGETS["apply_events_per_s"]),
        ("replay ev/s", r["replay_events_per_s"] / TARGETS["replay_events_per_s"]),
        ("HTTP ingest ev/s", r["http_ingest"]["events_per_s"] / TARGETS["http_ingest_events_per_s"]),
        ("F1 p99", TARGETS["f1_p99_ms"] / max(r["query_idle"]["f1_list"]["p99_ms"], 1e-9)),
        ("chain-2 p99", TARGETS["chain2_p99_ms"] / max(r["query_idle"]["chain_depth2"]["p99_ms"], 1e-9)),
        ("bytes/event", TARGETS["disk_bytes_per_event"] / max(r["disk_bytes_per_event"], 1e-9)),
        ("peak RSS", TARGETS["peak_rss_mib"] / max(r["serve_peak_rss_mib"], 1e-9)),
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as data:
        for name, ratio in bars:
            data.write(f'"{name}" {ratio:.6f}\n')
    script = f"""
set terminal pngcairo size 900,480 noenhanced
set output '{path}'
set title 'ctrace vs the issue-7 targets, {r["events"]:,} events (1 = on target, above is better)'
set style data histograms
set style fill solid 0.8
set logscale y
set yrange [0.001:100]
set grid ytics
set xtics rotate by -20
unset key
plot '{data.name}' using 2:xtic(1) lc rgb '#3a7bd5', 1 with lines lc rgb '#d53a3a' lw 2
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
        return True
    except (subprocess.CalledProcessError, OSError):
        try:
            script = script.replace("pngcairo", "png")
            subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
            return True
        except (subprocess.CalledProcessError, OSError):
            return False
    finally:
        os.unlink(data.name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", required=True)
    parser.add_argument("--machine", default="")
    parser.add_argument("--micro", default="")
    parser.add_argument("--pg", default="")
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--plot", required=True)
    args = parser.parse_args()

    rows = [json.loads(line) for line in open(args.rows) if line.strip()]
    micro = json.load(open(args.micro)) if args.micro and os.path.exists(args.micro) else None
    pg = json.load(open(args.pg)) if args.pg and os.path.exists(args.pg) else None
    doc = {"machine": args.machine, "targets": TARGETS, "end_to_end": rows, "micro": micro, "postgresql": pg}
    with open(args.json, "w") as out:
        json.dump(doc, out, indent=1)

    lines = [f"Machine: {args.machine}", "", "### End to end (embedded log)", ""]
    lines += end_to_end_table(rows) if rows else ["(no city sizes run)"]
    if pg is not None:
        lines += ["", "### PostgreSQL side by side", ""] + pg_table(pg)
    if micro is not None:
        lines += ["", "### Micro-benchmarks", ""] + micro_table(micro)
    if plot(rows, args.plot):
        lines += ["", f"Chart: `{os.path.basename(args.plot)}`"]
    with open(args.markdown, "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
