"""The `ingest` command (also `clinrag ingest`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.pdf import shared_parser
from ingest.run import ingest_paths
from rag.backends import Backends
from rag.errors import ClinragError
from rag.settings import load_settings

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="PDF, Markdown or text files, or folders (searched recursively)")
    parser.add_argument("--title", help="title for every file given (default: front matter, sidecar, PDF metadata)")
    parser.add_argument("--publisher", help="publisher / issuing body")
    parser.add_argument("--version", dest="doc_version", help="version label, e.g. 2024 or 3.1")
    parser.add_argument("--language", choices=["en", "zh"], help="document language (default: detected)")
    parser.add_argument("--license", help="licence of the document")
    parser.add_argument("--dry-run", action="store_true", help="parse and chunk, write nothing")
    parser.add_argument("--json", action="store_true", help="print a machine-readable JSON report instead of text")
    parser.add_argument("--events", action="store_true",
                        help="print JSON Lines: one progress event per file (files, pages, chunks, chunks/s, ETA), "
                             "then the report as the last line with \"event\": \"report\"")


def _print_event(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        backends = Backends(settings)
        overrides = {k: v for k, v in {"title": args.title, "publisher": args.publisher, "version": args.doc_version,
                                        "language": args.language, "license": args.license}.items() if v}
        if any(p.is_dir() or p.suffix.lower() == ".pdf" for p in args.paths):
            shared_parser().start()  # pypdf loads in the parse server while the embedder loads here
        store = None if args.dry_run else backends.store
        report = ingest_paths(args.paths, settings, backends.embedder, store, overrides=overrides, dry_run=args.dry_run,
                              progress=sys.stderr.isatty() and not args.json and not args.events,
                              on_progress=_print_event if args.events else None)
    except ClinragError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.events:
        _print_event({"event": "report", **report.to_json()})
    else:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if args.json else report.summary())
    backends.close()
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    parser = argparse.ArgumentParser(prog="ingest", description="Load guideline documents into the clinrag knowledge base.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
