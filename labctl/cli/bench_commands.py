"""``labctl drivers`` and ``labctl bench check|connect``."""

from __future__ import annotations

import argparse

from labctl.bench import connect_bench, load_bench_config
from labctl.drivers import DRIVERS


def register(sub: argparse._SubParsersAction) -> None:
    drivers = sub.add_parser("drivers", help="list the instrument drivers a bench file can name")
    drivers.set_defaults(handler=list_drivers)

    bench = sub.add_parser("bench", help="check a bench file, or connect to its instruments")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    check = bench_sub.add_parser("check", help="validate a bench file without touching anything")
    check.add_argument("file")
    check.set_defaults(handler=check_bench)
    connect = bench_sub.add_parser("connect", help="open every instrument and identify it")
    connect.add_argument("file")
    connect.add_argument("--sim", action="store_true", help="use the simulated bench (@labsim)")
    connect.set_defaults(handler=connect_and_identify)


def list_drivers(args: argparse.Namespace) -> int:
    width = max(len(name) for name in DRIVERS)
    for name, spec in sorted(DRIVERS.items()):
        channels = f"  channels: {', '.join(spec.channels)}" if spec.channels else ""
        print(f"{name:<{width}}  {spec.role:<17}  {spec.description}{channels}")
    return 0


def check_bench(args: argparse.Namespace) -> int:
    config = load_bench_config(args.file)
    print(f"{config.name}: {len(config.roles)} role(s), VISA library {config.visa_library!r}")
    for role in config.roles.values():
        channel = f" channel {role.channel}" if role.channel else ""
        driver = role.driver
        print(f"  {role.name:<12} {driver.role:<17} {driver.name} at {role.address}{channel}")
    limits = config.limits.describe()
    print("  limits: " + (", ".join(f"{k} = {v}" for k, v in limits.items()) or "none set"))
    return 0


def connect_and_identify(args: argparse.Namespace) -> int:
    with connect_bench(args.file, visa_library="@labsim" if args.sim else None) as bench:
        for name, entry in bench.snapshot().items():
            print(f"{name:<12} {entry['address']:<40} {entry.get('idn') or entry.get('idn_error')}")
    return 0
