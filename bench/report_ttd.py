#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The "Time to desktop" section of docs/BENCHMARKS.md, from bench/results/ttd.json
(bench/ttd_bench.sh).

bench/report.py calls section(load, bar_plot) with its own helpers, so the plot looks like
the others and a missing result reads "Not run yet." like theirs. Kept in its own file
because report.py has another owner; it imports nothing from it."""

CASES = (("warm", "warm spare"), ("cold", "cold boot"), ("instant", "instant clone"))
PATHS = (("gateway", "through the gateway"), ("direct", "direct to the VM"))


def _ms(stats):
    """'median (min–max)' in ms, or 'not run' when the case has no runs."""
    if not stats:
        return "not run"
    return f"{stats['median']:.0f} ({stats['min']:.0f}–{stats['max']:.0f})"


def _median(case, path, key):
    s = (case.get(path) or {}).get(key)
    return s["median"] if s else None


def _fmt(x):
    """A count or milliseconds: whole numbers; '–' when missing."""
    return "–" if x is None else f"{x:.0f}"


def _ratio(x):
    return "–" if x is None else f"{x:.2f}"


def section(load, bar_plot, number=7):
    """Markdown lines for the section; load and bar_plot are report.py's helpers."""
    out = [f"## {number}. Time to desktop (`bench/ttd_bench.sh`)", ""]
    r = load("ttd")
    if not r:
        return out + ["Not run yet.", ""]
    cases, ratios = r["cases"], r["ratios"]
    gd = ratios.get("gateway_over_direct", {})
    out += ["| desktop made ready by | through the gateway: median ms (min–max) | "
            "direct to the VM: median ms (min–max) | gateway / direct |",
            "|---|---|---|---|"]
    for key, label in CASES:
        c = cases.get(key, {})
        out.append(f"| {label} | {_ms((c.get('gateway') or {}).get('ttd_ms'))} | "
                   f"{_ms((c.get('direct') or {}).get('ttd_ms'))} | {_ratio(gd.get(key))} |")
    ic, wc = ratios.get("instant_over_cold", {}), ratios.get("warm_over_cold", {})
    out += ["",
            f"{r['runs_per_case']} run{'s' if r['runs_per_case'] != 1 else ''} per case. "
            f"Instant / cold: **{_ratio(ic.get('gateway'))}** through the gateway, "
            f"**{_ratio(ic.get('direct'))}** direct; warm / cold: **{_ratio(wc.get('gateway'))}** "
            f"and **{_ratio(wc.get('direct'))}** (medians of per-round ratios).",
            ""]

    # Where a cold or instant wait goes: the VM's own start, then the wait for the next ask.
    out += ["| new desktop | VM start → ready ms | ready → handed to the user ms | "
            "desktop requests per login | direct only: login ms (probe connect → frame) |",
            "|---|---|---|---|---|"]
    for key, label in CASES[1:]:
        c = cases.get(key, {})
        for p, plabel in PATHS:
            if not c.get(p):
                continue
            login = _median(c, p, "probe_connect_to_frame_ms") if p == "direct" else None
            out.append(f"| {label}, {plabel} | {_fmt(_median(c, p, 'vm_start_to_ready_ms'))} | "
                       f"{_fmt(_median(c, p, 'ready_to_handed_out_ms'))} | "
                       f"{_fmt(_median(c, p, 'desktop_requests'))} | {_fmt(login)} |")
    par = r.get("setup", {}).get("parent", {})
    restored = (cases.get("instant", {}).get("gateway") or {}).get("restored", 0) + \
        (cases.get("instant", {}).get("direct") or {}).get("restored", 0)
    out += ["",
            f"The instant-clone parent is built once per template version, before the clock: "
            f"boot {_fmt(par.get('boot_ms'))} ms, save {_fmt(par.get('save_ms'))} ms, state "
            f"{_fmt(round(par['state_bytes'] / 1024) if par.get('state_bytes') else None)} KiB; "
            f"the instant pool went from empty to its first ready clone in "
            f"{_fmt(par.get('pool_fill_ms'))} ms. {restored} of "
            f"{2 * r['runs_per_case']} instant runs were restored from it"
            + (f"; {len(r['discarded'])} run(s) were measured again (see the JSON's `discarded`)."
               if r.get("discarded") else "."),
            ""]

    labels, values = [], []
    for key, label in CASES:
        for p, short in (("gateway", "gw"), ("direct", "direct")):
            s = (cases.get(key, {}).get(p) or {}).get("ttd_ms")
            if s:
                labels.append(f"{label.split()[0]} {short}")
                values.append(s["median"])
    if values:
        out += [bar_plot("ttd", "Asking for a desktop to its first frame, median ms (gw: through the gateway)", "ms",
                         labels, values), ""]

    # The poll interval, as measured: how long a ready VM waited for the user's next ask.
    waits = [x for x in (_median(cases.get(k, {}), p, "ready_to_handed_out_ms")
                         for k in ("cold", "instant") for p in ("gateway", "direct")) if x is not None]
    poll = ""
    if waits:
        poll = (f" A new VM then sat ready for a median {min(waits):.0f}–{max(waits):.0f} ms "
                "(by case and path) before the user had it: while a VM starts, deskpoold answers "
                "202 with `retry_after_s` (1 s, pool/pool_mgr.c; it was 5 s, which hid most of an instant "
                "clone's gain), and the gateway and `deskpool desktop request` ask again only that "
                "much later, so a desktop ready sooner waits for the next ask.")
        boot = [_median(cases.get(k, {}), "gateway", "vm_start_to_ready_ms") for k in ("instant", "cold")]
        if None not in boot and boot[1]:
            poll += (f" Through the gateway an instant clone took {boot[0] / boot[1]:.2f}× a cold "
                     f"boot's time from VM start to ready, but the user's whole wait was "
                     f"{_ratio(ic.get('gateway'))}× that of a cold boot.")
    out += ["How to read this: each figure is what a user waits from asking for a desktop to its "
            "first frame (deskpool-probe, 1024×768, NLA). *Through the gateway* the user logs into "
            "deskpool-gw with their own password; the gateway checks it (NLA), asks deskpoold for "
            "the desktop, injects a one-time credential that deskpoold set in the VM, and relays. "
            "*Direct to the VM* is the same assignment asked by an admin over the broker's socket "
            "(`deskpool desktop request USER --show-credentials`, the call the gateway makes), "
            "then the probe straight to the VM's forwarded RDP port with that one-time credential. "
            "That is the only way to a VM without deskpool-gw in the path: VMs listen only on the "
            "host's loopback, and the users' own routing-token path (.rdp files, "
            "`deskpool-connect`) is still spliced by the gateway. A warm spare is running and "
            "ready before the clock; cold boot and instant clone start a new VM at the request "
            "(an overlay, then a boot or a restore of the parent's saved state)." + poll +
            " Every login also pays libfreerdp 2.11's 100 ms connect-loop steps (~1.2 s floor). "
            "Method: the JSON's note.", ""]
    return out


if __name__ == "__main__":
    # A look at the section without report.py: python3 bench/report_ttd.py (no plot).
    import json
    import os
    here = os.path.dirname(os.path.abspath(__file__))

    def _load(name):
        path = os.path.join(here, "results", name + ".json")
        return json.load(open(path)) if os.path.exists(path) else None

    print("\n".join(section(_load, lambda name, title, *a, **k: f"![{title}](bench/{name}.png)")))
