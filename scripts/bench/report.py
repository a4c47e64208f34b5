#!/usr/bin/env python3
"""Turns scripts/bench/run.sh's results (JSON lines) into the benchmark report: a Markdown
page of tables (median and min-max per point, ratios to the defaults and between systems
measured in the same run, the machine) and PNG plots beside it.

Usage: report.py --results RESULTS.jsonl --markdown OUT.md --plots DIR
Needs matplotlib (run.sh installs it into .cache/bench-venv)."""

import argparse
import collections
import json
import os
import statistics

import matplotlib

matplotlib.use("Agg")  # files only: no display on a build machine
import matplotlib.pyplot as plt  # noqa: E402

SYSTEM_NAMES = {
    "sfcrimed": "sfcrimed",
    "perf_tool": "kafka-producer-perf-test",
    "bare_kafka": "bare librdkafka",
    "spark": "Spark baseline",
}
SYSTEM_ORDER = list(SYSTEM_NAMES)
SYSTEM_COLOURS = {"sfcrimed": "tab:blue", "perf_tool": "tab:orange", "bare_kafka": "tab:green", "spark": "tab:red"}
EXPERIMENT_TITLES = {
    "ingest": "Ingest: the calls into the topic, as fast as the broker acknowledges",
    "drain": "Drain: the backlog read to its end",
    "latency": "Latency at steady input rates (Kafka timestamp to result)",
}


def load(path):
    run, points, totals = None, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("experiment") == "run":
                run = row
            elif row.get("experiment") == "totals":
                totals.append(row)
            else:
                points.append(row)
    if run is None:
        raise SystemExit(f"{path}: no run record (the first line run.sh writes)")
    return run, points, totals


def sort_key(value):
    """Numbers (durations such as 10s too) in numeric order, "unlimited" last, others as text."""
    text = str(value).split("@")[0]
    if text == "unlimited":
        return (2, 0.0, text)
    try:
        return (0, float(text[:-1] if text.endswith("s") else text), text)
    except ValueError:
        return (1, 0.0, text)


class Stats:
    def __init__(self, values):
        self.values = sorted(values)
        self.median = statistics.median(self.values) if self.values else None

    def text(self, digits=0):
        if not self.values:
            return "–"
        fmt = f"{{:,.{digits}f}}"
        if len(self.values) == 1:
            return fmt.format(self.median)
        return f"{fmt.format(self.median)} ({fmt.format(self.values[0])}–{fmt.format(self.values[-1])})"


def group(points, metric):
    """(experiment, system, setting, value) -> Stats of metric over the runs that worked."""
    out = collections.defaultdict(list)
    for p in points:
        if p.get("status") == "ok" and p.get(metric) is not None:
            out[(p["experiment"], p["system"], p["setting"], str(p["value"]))].append(p[metric])
    return {k: Stats(v) for k, v in out.items()}


def ratio(a, b):
    if a is None or b is None or a.median is None or b.median in (None, 0):
        return "–"
    value = a.median / b.median
    # Two significant digits for the small ones (a Spark latency ratio is some 0.004).
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def default_key(experiment, system):
    return (experiment, system, "defaults", "defaults")


SPARK_BASE = {}


def base_key(experiment, system, setting):
    """The point a sweep point was measured around: the defaults; for Spark's settings other
    than its shuffle partitions, the base run.sh names (the shuffle partitions at the core count)."""
    if system == "spark" and SPARK_BASE and setting not in SPARK_BASE and setting not in ("defaults", "best"):
        (base_setting, base_value), = SPARK_BASE.items()
        return (experiment, system, base_setting, str(base_value))
    return default_key(experiment, system)


def best_description(points, experiment, system):
    """The settings a best combination resolved to, as run.sh recorded them."""
    for p in points:
        if (p["experiment"], p["system"], p["setting"]) == (experiment, system, "best") and p.get("settings"):
            return p["settings"].replace(",", ", ")
    return "the defaults"


def machine_section(run):
    versions = "; ".join(" ".join(line.split()) for line in run.get("sfcrimed", []))
    minutes, seconds = divmod(int(run.get("seconds", 0)), 60)
    return [
        "## The run",
        "",
        "| | |",
        "| --- | --- |",
        f"| command | `{run['command'].strip()}`{' (quick)' if run.get('quick') else ''} |",
        f"| started | {run['started']}, {minutes} min {seconds} s in all |",
        f"| ingest | {run['file']}: {run['records']:,} records, mean {run['mean_record_bytes']} bytes as sent |",
        f"| drain | {run.get('drain_file', run['file'])}: {run.get('drain_records', run['records']):,} records |",
        f"| runs per point | {run['runs']} at the defaults and the best combination, {run['sweep_runs']} per sweep point; "
        f"latency runs of {run['latency_seconds']} s |",
        f"| machine | {run['nproc']} cores ({run['cpu']}), {run['memory_gib']} GiB, {run['os']} |",
        f"| versions | {versions}; Kafka {run['kafka']} (one local KRaft broker); {run['java']} |",
        f"| commit | {run['git_commit']} |",
        f"| defaults | {', '.join(f'{k} {v}' for k, v in sorted(run['defaults'].items()))} (etc/sfcrimed.ini) |",
        "",
    ]


def comparison_section(run, points, rates, seconds, walls):
    lines = ["## Comparisons at the defaults", ""]
    lines += [
        "Records/s: median (min–max) over the runs; seconds: the measured part (from the first record "
        "sent or read to the last), as the tool reports it; wall: the whole process as a user waits for it "
        "(start-up, the group's join and the last commit included).",
        "",
        "| experiment | system | records/s | seconds | wall s | ratio sfcrimed / this |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for experiment, systems in (("ingest", ("sfcrimed", "perf_tool")), ("drain", ("sfcrimed", "bare_kafka", "spark"))):
        ours = rates.get(default_key(experiment, "sfcrimed"))
        for system in systems:
            key = default_key(experiment, system)
            if key not in rates:
                missing = [p for p in points if p["experiment"] == experiment and p["system"] == system]
                status = missing[0].get("status", "not measured") if missing else "not measured"
                lines.append(f"| {experiment} | {SYSTEM_NAMES[system]} | {status} | | | |")
                continue
            for key, label in ((key, ""), ((experiment, system, "best", "best"), ", best combination")):
                if key not in rates:
                    continue
                r = "" if system == "sfcrimed" else ratio(ours, rates[key])
                lines.append(
                    f"| {experiment} | {SYSTEM_NAMES[system]}{label} | {rates[key].text()} | "
                    f"{seconds.get(key, Stats([])).text(2)} | {walls.get(key, Stats([])).text(1)} | {r} |"
                )
    lines += ["", "The best combinations: " + "; ".join(
        f"{experiment} {SYSTEM_NAMES[system]}: {best_description(points, experiment, system)}"
        for experiment, system in sorted({(k[0], k[1]) for k in rates if k[2] == "best"})) + ".", ""]
    return lines


def latency_stats(points, system, rate, value=None):
    """(p50, p99) Stats of a system's latency points at an input rate (Spark: one trigger)."""
    rows = [p for p in points if p["experiment"] == "latency" and p["system"] == system and p.get("status") == "ok"
            and p.get("input_rate") == rate and "p99_ms" in p and (value is None or str(p["value"]) == value)]
    return Stats([r["p50_ms"] for r in rows]), Stats([r["p99_ms"] for r in rows])


def headline_section(points, rates, totals):
    """The few figures the README quotes, each with what it compares."""
    lines = ["## Headline", "", "| comparison | sfcrimed | the other | ratio |", "| --- | --- | --- | --- |"]

    def row(what, ours, theirs, digits=0, unit=""):
        if ours is None or theirs is None or ours.median is None or theirs.median is None:
            return
        lines.append(f"| {what} | {ours.text(digits)}{unit} | {theirs.text(digits)}{unit} | {ratio(ours, theirs)} |")

    drain = rates.get(default_key("drain", "sfcrimed"))
    spark_points = {k: v for k, v in rates.items() if k[:2] == ("drain", "spark")}
    row("drain records/s: sfcrimed / Spark at its defaults", drain, spark_points.get(default_key("drain", "spark")))
    if spark_points:
        fastest = max(spark_points, key=lambda k: spark_points[k].median)
        setting = "best combination" if fastest[2] == "best" else f"{fastest[2]}={fastest[3]}"
        row(f"drain records/s: sfcrimed / Spark at its fastest ({setting})", drain, spark_points[fastest])
    row("drain records/s: sfcrimed / a bare librdkafka consumer (the reading limit)", drain,
        rates.get(default_key("drain", "bare_kafka")))
    row("ingest records/s: sfcrimed / kafka-producer-perf-test", rates.get(default_key("ingest", "sfcrimed")),
        rates.get(default_key("ingest", "perf_tool")))
    for rate in sorted({p.get("input_rate") for p in points if p["experiment"] == "latency" and p.get("input_rate")}):
        ours50, ours = latency_stats(points, "sfcrimed", rate)
        bare = [p["bucketed_ms"]["p99"] for p in points if p["experiment"] == "latency" and p["system"] == "bare_kafka"
                and p.get("status") == "ok" and p.get("input_rate") == rate and "bucketed_ms" in p]
        row(f"p99 latency ms at {int(rate):,} records/s: sfcrimed / bare Kafka (both histogram-bucketed)", ours,
            Stats(bare), 1)
        triggers = sorted({str(p["value"]) for p in points if p["experiment"] == "latency" and p["system"] == "spark"
                           and p.get("input_rate") == rate})
        spark = {t: latency_stats(points, "spark", rate, t)[1] for t in triggers}
        spark = {t: v for t, v in spark.items() if v.median is not None}
        if spark:
            lowest = min(spark, key=lambda t: spark[t].median)
            name = f"Spark (trigger {lowest.split('@')[0]}, its lowest p99)"
            row(f"p50 latency ms at {int(rate):,} records/s: sfcrimed / {name}", ours50,
                latency_stats(points, "spark", rate, lowest)[0], 1)
            row(f"p99 latency ms at {int(rate):,} records/s: sfcrimed / {name}", ours, spark[lowest], 1)
    lines.append("")
    if totals:
        verdict = "equal" if all(t["status"] == "ok" for t in totals) else "**different**"
        lines += [f"Spark's totals against sfcrimed's: {verdict} (see \"Same answers\").", ""]
    return lines


def totals_section(totals):
    lines = ["## Same answers", ""]
    if not totals:
        return lines + ["Spark's totals were not compared with sfcrimed's in this run (no Spark drain).", ""]
    for row in totals:
        verdict = "equal" if row["status"] == "ok" else "**different**"
        lines += [
            f"Spark's counts against sfcrimed's, from their first drains of the same topic "
            f"(`scripts/bench/spark/check_totals.py`): {verdict}.",
            "",
            "```",
            str(row.get("verdict", "")).strip(),
            "```",
            "",
        ]
    return lines


def latency_section(points):
    lines = [
        "## Latency",
        "",
        "Milliseconds from each record's Kafka timestamp to its result: sfcrimed from /metrics' histogram "
        "over the steady state (from a second after the group's join, and at least a quarter into the run, to "
        "its end; estimated as Prometheus' histogram_quantile does), bare Kafka exactly per record (its histogram-bucketed estimate in brackets), Spark as its script "
        "reports. Median (min–max) over the runs.",
        "",
        "The p99 ratio compares like with like: against bare Kafka's bucketed estimate, as sfcrimed's is one.",
        "",
        "| input records/s | system | setting | p50 ms | p99 ms | p99 ratio sfcrimed / this |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    by_point = collections.defaultdict(list)
    for p in points:
        if p["experiment"] == "latency":
            by_point[(p.get("input_rate"), p["system"], p["setting"], str(p["value"]))].append(p)
    p99 = {k: Stats([r["p99_ms"] for r in v if r.get("status") == "ok" and "p99_ms" in r]) for k, v in by_point.items()}
    # Points that did not measure (no input rate) last.
    for key in sorted(by_point, key=lambda k: (k[0] is None, sort_key(k[0] or 0), SYSTEM_ORDER.index(k[1]), sort_key(k[3]))):
        rate, system, setting, value = key
        rows = [r for r in by_point[key] if r.get("status") == "ok"]
        if not rows:
            lines.append(f"| {rate or '–'} | {SYSTEM_NAMES[system]} | {setting} | {by_point[key][0].get('status')} | | |")
            continue
        p50 = Stats([r["p50_ms"] for r in rows if "p50_ms" in r])
        bucketed, theirs = "", p99[key]
        if system == "bare_kafka":
            theirs = Stats([r["bucketed_ms"]["p99"] for r in rows if "bucketed_ms" in r])
            bucketed = f" [{theirs.text(1)}]"
        ours = p99.get((rate, "sfcrimed", "ingest.rate", str(rate)))
        r = "" if system == "sfcrimed" else ratio(ours, theirs)
        shown = ""
        if system == "spark":
            settings = {r.get("settings") for r in rows if r.get("settings")}
            shown = f"trigger {value.split('@')[0]}" + (f" ({', '.join(sorted(settings))})" if settings else "")
        lines.append(
            f"| {int(rate):,} | {SYSTEM_NAMES[system]} | {shown} | {p50.text(1)} | {p99[key].text(1)}{bucketed} | {r} |"
        )
    lines.append("")
    return lines


def sweep_section(points, rates, seconds):
    lines = ["## Sweeps, one setting at a time around the defaults", ""]
    lines.append(
        "Records/s, median (min–max); the ratio is to the same system's defaults measured in this run. "
        "`best` combines each setting's best value found above (when it beat the point it was swept around). "
        "Spark's settings other than its shuffle partitions were swept around "
        f"{', '.join(f'{k}={v}' for k, v in SPARK_BASE.items()) or 'its defaults'}, "
        "and their ratios are to that point: at 200 shuffle partitions every run pays the shuffle's cost."
    )
    lines.append("")
    for experiment in ("ingest", "drain"):
        # The best combination last, after the sweeps it comes from.
        settings = sorted({k[2] for k in rates if k[0] == experiment and k[2] != "defaults"}, key=lambda s: (s == "best", s))
        if not settings:
            continue
        lines += [f"### {experiment}", "", "| setting | value | system | records/s | seconds | ratio to defaults |"]
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for setting in settings:
            keys = sorted(
                (k for k in rates if k[0] == experiment and k[2] == setting), key=lambda k: (sort_key(k[3]), SYSTEM_ORDER.index(k[1]))
            )
            for key in keys:
                value = key[3]
                if setting == "best":
                    value = best_description(points, experiment, key[1])
                lines.append(
                    f"| {setting} | {value} | {SYSTEM_NAMES[key[1]]} | {rates[key].text()} | "
                    f"{seconds.get(key, Stats([])).text(2)} | {ratio(rates[key], rates.get(base_key(experiment, key[1], setting)))} |"
                )
        lines.append("")
    failed = [p for p in points if p.get("status") not in ("ok", None)]
    if failed:
        lines += ["### Points that did not measure", "", "| experiment | system | setting | value | status | why |"]
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for p in failed:
            lines.append(
                f"| {p['experiment']} | {SYSTEM_NAMES[p['system']]} | {p['setting']} | {p['value']} | {p['status']} | "
                f"{p.get('error', 'see the run output')} |"
            )
        lines.append("")
    return lines


def plot_sweeps(rates, plots, markdown_dir):
    images = []
    settings = sorted({(k[0], k[2]) for k in rates if k[2] not in ("defaults", "best") and k[0] != "latency"})
    for experiment, setting in settings:
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        systems = sorted({k[1] for k in rates if k[0] == experiment and k[2] == setting})
        for system in systems:
            points = {k[3]: v for k, v in rates.items() if k[0] == experiment and k[1] == system and k[2] == setting}
            base = rates.get(base_key(experiment, system, setting))
            if base is not None:
                points.setdefault(default_value(system, setting), base)
            values = sorted(points, key=sort_key)
            medians = [points[v].median for v in values]
            low = [points[v].median - points[v].values[0] for v in values]
            high = [points[v].values[-1] - points[v].median for v in values]
            # Lines join numeric settings only: between compression types there is nothing.
            numeric = all(sort_key(v)[0] == 0 for v in values)
            ax.errorbar(
                values, medians, yerr=[low, high], marker="o", capsize=3, label=SYSTEM_NAMES[system],
                color=SYSTEM_COLOURS[system], linestyle="-" if numeric else "none",
            )
        ax.set_title(f"{experiment}: records/s against {setting}")
        ax.set_xlabel(f"{setting} (default {', '.join(sorted({default_value(s, setting) for s in systems}))})")
        ax.set_ylabel("records/s (median, min–max)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        name = f"{experiment}-{setting}.png"
        fig.savefig(os.path.join(plots, name), dpi=100)
        plt.close(fig)
        images.append((f"{experiment}: {setting}", os.path.relpath(os.path.join(plots, name), markdown_dir)))
    return images


DEFAULTS = {}
SPARK_DEFAULTS = {}


def default_value(system, setting):
    """The value a system runs with when the setting is not given (or the base it was swept around)."""
    if system == "spark":
        return str(SPARK_DEFAULTS.get(setting, "default"))
    return str(DEFAULTS.get(setting, "default"))


def plot_defaults(rates, plots, markdown_dir):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, (experiment, systems) in zip(
        axes, (("ingest", ("sfcrimed", "perf_tool")), ("drain", ("sfcrimed", "bare_kafka", "spark")))
    ):
        # Each system at its defaults, then at its best combination where it has one.
        # Names on two lines: five bars' names side by side would overlap.
        bars = [(SYSTEM_NAMES[s].replace(" ", "\n", 1), s, default_key(experiment, s)) for s in systems]
        bars += [(f"{SYSTEM_NAMES[s]}\nbest", s, (experiment, s, "best", "best")) for s in systems]
        bars = [(label, system, rates[key]) for label, system, key in bars if key in rates]
        stats = [b[2] for b in bars]
        ax.bar(
            [b[0] for b in bars], [s.median for s in stats],
            yerr=[[s.median - s.values[0] for s in stats], [s.values[-1] - s.median for s in stats]],
            color=[SYSTEM_COLOURS[b[1]] for b in bars], capsize=4,
        )
        # Spark and the reading limit are orders of magnitude apart: a log scale shows both.
        if stats and max(s.median for s in stats) > 50 * min(s.median for s in stats):
            ax.set_yscale("log")
        ax.set_title(f"{experiment}: defaults and best combinations")
        ax.set_ylabel("records/s (median, min–max)")
        ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    path = os.path.join(plots, "defaults.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [("throughput at the defaults: sfcrimed against the limits and Spark", os.path.relpath(path, markdown_dir))]


def plot_latency(points, plots, markdown_dir):
    by_system = collections.defaultdict(lambda: collections.defaultdict(list))
    for p in points:
        if p["experiment"] == "latency" and p.get("status") == "ok" and "p99_ms" in p:
            label = p["system"] if p["system"] != "spark" else f"spark trigger {str(p['value']).split('@')[0]}"
            by_system[label][p["input_rate"]].append(p)
    if not by_system:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    # Spark's triggers share its colour; a line style each tells them apart.
    styles = iter(["-", "--", ":", "-."] * 4)
    linestyles = {label: next(styles) if label.startswith("spark") else "-" for label in sorted(by_system)}
    for ax, q in zip(axes, ("p50_ms", "p99_ms")):
        for label, by_rate in sorted(by_system.items()):
            rates = sorted(by_rate)
            stats = [Stats([r[q] for r in by_rate[x]]) for x in rates]
            system = label.split()[0]
            ax.errorbar(
                rates, [s.median for s in stats],
                yerr=[[s.median - s.values[0] for s in stats], [s.values[-1] - s.median for s in stats]],
                marker="o", capsize=3, label=SYSTEM_NAMES.get(label, label), color=SYSTEM_COLOURS.get(system),
                linestyle=linestyles[label],
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("input records/s")
        ax.set_title(q.replace("_ms", "") + " latency, ms")
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(plots, "latency.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [("latency against the input rate", os.path.relpath(path, markdown_dir))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--plots", required=True)
    args = parser.parse_args()
    run, points, totals = load(args.results)
    DEFAULTS.update(run.get("defaults", {}))
    SPARK_DEFAULTS.update(run.get("spark_defaults", {}))
    SPARK_BASE.update(run.get("spark_base", {}))
    os.makedirs(args.plots, exist_ok=True)
    markdown_dir = os.path.dirname(os.path.abspath(args.markdown))
    rates, seconds = group(points, "records_per_s"), group(points, "seconds")
    rates = {k: v for k, v in rates.items() if k[0] != "latency"}

    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench/report.py` from "
        f"`{os.path.relpath(os.path.abspath(args.results), markdown_dir)}`, which `{run['command'].strip()}` "
        "wrote; every figure below was measured in that one run, on one local broker. Run it again to "
        "measure this machine; `--quick` is the short version (fewer points and runs, a smaller file).",
        "",
    ]
    if run.get("quick"):
        lines += [
            "**A quick run**: sweep points once, the comparisons 3 times, the ingest on part of the file; the ranges "
            "say how far to trust each figure. The full run is `scripts/bench/run.sh` (no --quick).",
            "",
        ]
    lines += headline_section(points, rates, totals)
    # Figures measured after the run (by scripts/bench/pipeline.sh), kept by hand beside
    # the plots until the next run: the report carries them, marked as not from this run.
    since = os.path.join(args.plots, "since.md")
    if os.path.exists(since):
        with open(since, encoding="utf-8") as f:
            lines += f.read().rstrip().splitlines() + [""]
    lines += machine_section(run)
    lines += comparison_section(run, points, rates, seconds, group(points, "wall_s"))
    lines += totals_section(totals)
    lines += latency_section(points)
    lines += sweep_section(points, rates, seconds)
    images = plot_defaults(rates, args.plots, markdown_dir)
    images += plot_latency(points, args.plots, markdown_dir)
    images += plot_sweeps(rates, args.plots, markdown_dir)
    lines += ["## Plots", ""]
    for title, path in images:
        lines += [f"### {title}", "", f"![{title}]({path})", ""]
    with open(args.markdown, "w", encoding="utf-8") as f:
        f.write("\n".join(lines).rstrip() + "\n")


if __name__ == "__main__":
    main()
