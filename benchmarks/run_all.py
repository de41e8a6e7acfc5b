"""Every benchmark, printed as one Markdown table (``make bench``)."""

from __future__ import annotations

import platform

import bench_analysis
import bench_sim


def main() -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{platform.processor() or 'cpu'}\n")
    print("| benchmark | result |\n|---|---|")
    for module in (bench_sim, bench_analysis):
        for name, value in module.main():
            print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
