"""PDF parsing with pypdf, each file in child processes of its own with memory, time and page limits.

A warm parse server (`python -m ingest.pdf --serve`, started once per ingesting process) holds pypdf
imported and forks a child per file, or two that each extract half its pages (`parts=2`, from 32 pages;
`_join` puts them back in page order, what one child returns); each child sets its own memory, CPU and wall-clock limits, so
a decompression bomb or a pathological file can only kill that child, and writes one JSON object
to a file. Forking from a warm server skips a fresh interpreter and the pypdf import per file
(~0.5 s, most of a revised PDF's parse time). `PdfParser.submit` starts a parse and returns at once,
so `ingest_paths` parses the next files while the current round embeds; `result` waits for it.
Anything but the JSON (a crash, a limit hit) becomes a DocumentError naming the file.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.document import Page, ParsedFile, clean_text
from rag.errors import DocumentError

__all__ = ["PdfLimits", "PdfParser", "PdfTicket", "parse_pdf", "strip_running_lines"]

_PAGE_NUM = re.compile(r"^(page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class PdfLimits:
    max_pages: int = 2000
    timeout_s: float = 300.0
    memory_mb: int = 2048


@dataclass(slots=True)
class PdfTicket:
    """A parse under way: `PdfParser.result(ticket)` waits for it. With `parts` > 1, as many children each parse
    their share of the pages (`_part_range`); their ids are `ticket_id` up to `ticket_id + parts - 1`."""

    ticket_id: int
    path: Path
    limits: PdfLimits
    out: Path
    started: float
    generation: int  # which server process runs it (a restarted server does not know older tickets)
    parts: int = 1

    def part_out(self, k: int) -> Path:
        return self.out if k == 0 else self.out.with_name(f"{self.ticket_id + k}.json")


class PdfParser:
    """Parses PDFs in child processes forked from one warm server; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._generation = 0
        self._next = 0
        self._buf = b""
        self._done: dict[int, int] = {}  # ticket id -> the child's wait status (returncode convention)
        self._tmp = Path(tempfile.mkdtemp(prefix="clinrag-pdf-"))

    def _server(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen([sys.executable, "-m", "ingest.pdf", "--serve"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self._generation += 1
            self._buf, self._done = b"", {}
        return self._proc

    def start(self) -> None:
        """Start the server now (it imports pypdf while the caller does other work, e.g. loads the model)."""
        with self._lock:
            self._server()

    def submit(self, path: Path, limits: PdfLimits, page_cache: Path | None = None, parts: int = 1) -> PdfTicket:
        """Start parsing one file; returns at once. With page_cache, pages whose content stream and
        resources are unchanged since an earlier parse take their text from that SQLite file. With `parts` > 1,
        that many children parse the file, each its share of the pages (a file of under `_SPLIT_MIN_PAGES`
        pages a part is parsed whole by the first; the others stop after counting its pages)."""
        if page_cache is not None and parts > 1 and not page_cache.exists():
            # made here, once, so the parts do not race to create it (a part that cannot open it parses without it
            # and leaves its pages out of it: a later revision would extract them again)
            try:
                _open_page_cache(str(page_cache)).close()
            except Exception:  # sqlite3.Error, OSError: the children try again and parse without it if they must
                pass
        with self._lock:
            first = self._next + 1
            self._next += max(1, parts)
            ticket = PdfTicket(first, path, limits, self._tmp / f"{first}.json", time.monotonic(), 0, max(1, parts))
            lines = b"".join(json.dumps({
                "id": first + k, "path": str(path), "out": str(ticket.part_out(k)), "max_pages": limits.max_pages,
                "memory_mb": limits.memory_mb, "timeout_s": limits.timeout_s,
                "page_cache": str(page_cache) if page_cache is not None else "", "part": [k, ticket.parts],
            }).encode() + b"\n" for k in range(ticket.parts))
            for _ in range(2):  # a server that died since the last file is restarted once
                proc = self._server()
                ticket.generation = self._generation
                try:
                    assert proc.stdin is not None
                    proc.stdin.write(lines)
                    proc.stdin.flush()
                    break
                except (BrokenPipeError, OSError):
                    proc.kill()
                    proc.wait()
            return ticket

    def result(self, ticket: PdfTicket) -> ParsedFile:
        """Wait for a submitted parse; raise DocumentError with the reason when it failed."""
        source = ticket.path.name
        try:
            parsed = [_read_result(source, ticket, k, self._wait(ticket, ticket.ticket_id + k)) for k in range(ticket.parts)]
            return _join(parsed)
        finally:
            for k in range(ticket.parts):
                ticket.part_out(k).unlink(missing_ok=True)

    def _wait(self, ticket: PdfTicket, ticket_id: int) -> int | None:
        # the child stops itself at timeout_s (SIGALRM); the margin only covers a server that hangs
        deadline = ticket.started + ticket.limits.timeout_s + 30.0
        with self._lock:
            while True:
                if ticket.generation != self._generation or self._proc is None:
                    return None
                if ticket_id in self._done:
                    return self._done.pop(ticket_id)
                assert self._proc.stdout is not None
                fd = self._proc.stdout.fileno()
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    self._proc.kill()  # a hung server: every ticket it holds is lost, the next file restarts it
                    self._proc.wait()
                    self._proc = None
                    return None
                data = os.read(fd, 65536)
                if not data:  # the server died
                    self._proc.wait()
                    self._proc = None
                    return None
                self._buf += data
                *lines, self._buf = self._buf.split(b"\n")
                for line in lines:
                    msg = json.loads(line)
                    self._done[int(msg["id"])] = int(msg["status"])

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                try:
                    if self._proc.stdin is not None:
                        self._proc.stdin.close()
                    self._proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self._proc.kill()
                    self._proc.wait()
                self._proc = None
            shutil.rmtree(self._tmp, ignore_errors=True)


def _read_result(source: str, ticket: PdfTicket, part: int, status: int | None) -> ParsedFile:
    limits = ticket.limits
    if status is None:
        raise DocumentError(source, "the PDF parse server stopped before this file was parsed; ingest the file again")
    if status in (-signal.SIGALRM, -signal.SIGXCPU):
        raise DocumentError(source, f"parsing took longer than {limits.timeout_s:.0f} s (CLINRAG_PARSE_TIMEOUT_S); "
                            "the file may be pathological; split it or raise the limit")
    try:
        data = json.loads(ticket.part_out(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if status != 0 or data is None or "error" in data:
        if isinstance(data, dict) and "error" in data:
            message = str(data["error"])
        elif status < 0 or status == _OOM_EXIT:
            message = (f"the parser was stopped (signal {-status}) or ran out of memory "
                       f"(CLINRAG_PARSE_MEMORY_MB={limits.memory_mb}); the file may be a decompression bomb")
        else:
            message = f"the PDF parser failed (exit status {status}, no output)"
        raise DocumentError(source, message)
    parsed = ParsedFile(source=source, fmt="pdf", pages=[Page(p["number"], p["text"]) for p in data["pages"]],
                        metadata=data["metadata"], warnings=data["warnings"], page_count=data["page_count"],
                        reused_pages=int(data.get("reused_pages", 0)))
    return parsed


def _join(parts: list[ParsedFile]) -> ParsedFile:
    """One file's parse from its parts (in page order): what a single child parsing every page returns."""
    parsed = parts[0]
    for more in parts[1:]:
        parsed.pages += more.pages
        parsed.warnings += more.warnings
        parsed.reused_pages += more.reused_pages
    parsed.pages = strip_running_lines(parsed.pages)
    return parsed


_shared: PdfParser | None = None
_shared_lock = threading.Lock()


def shared_parser() -> PdfParser:
    """The process's parse server, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PdfParser()
            atexit.register(_shared.close)
        return _shared


def parse_pdf(path: Path, limits: PdfLimits, page_cache: Path | None = None) -> ParsedFile:
    """Parse in a child process; raise DocumentError with the reason when it fails."""
    parser = shared_parser()
    return parser.result(parser.submit(path, limits, page_cache))


def strip_running_lines(pages: list[Page]) -> list[Page]:
    """Drop page numbers and header/footer lines that repeat (digits aside) on many pages."""
    if len(pages) < 3:
        return [Page(p.number, "\n".join(l for l in p.text.split("\n") if not _PAGE_NUM.match(l))) for p in pages]
    edge: Counter[str] = Counter()
    for p in pages:
        lines = [l for l in p.text.split("\n") if l.strip()]
        for line in set(lines[:3] + lines[-3:]):
            edge[_DIGITS.sub("#", line)] += 1
    threshold = max(3, len(pages) // 2)
    running = {key for key, n in edge.items() if n >= threshold}
    out = []
    for p in pages:
        lines = p.text.split("\n")
        kept = []
        for i, line in enumerate(lines):
            at_edge = i < 3 or i >= len(lines) - 3
            if _PAGE_NUM.match(line.strip()) or (at_edge and _DIGITS.sub("#", line) in running):
                continue
            kept.append(line)
        out.append(Page(p.number, "\n".join(kept).strip()))
    return out


def _table_rows(text: str) -> str:
    # pypdf's layout mode keeps columns apart with runs of spaces; make the cells readable
    return "\n".join(re.sub(r" {3,}", " | ", line.strip()) for line in text.split("\n"))


_CACHE_FORMAT = "1"  # bump when the key or the stored text changes meaning


class _PageKeys:
    """A content key per page: sha256 of everything pypdf's text extraction reads (the page dictionary
    without /Parent and /Annots, its content streams and resources, fonts and forms, resolved
    recursively and hashed by their stored bytes), so equal keys give equal extracted text. Object
    numbers are not part of the key: a revised file that renumbers its objects still matches."""

    _SKIP = frozenset({"/Parent", "/Annots"})  # the page tree (every page) and annotations: extraction reads neither

    def __init__(self) -> None:
        import pypdf

        self._seed = f"clinrag-page/{_CACHE_FORMAT}/pypdf-{pypdf.__version__}".encode()
        self._memo: dict[int, bytes] = {}  # object number -> digest of an object with no cycle through it, in this file

    def key(self, page: Any) -> bytes:
        import hashlib

        h = hashlib.sha256(self._seed)
        own = getattr(page, "indirect_reference", None)
        self._feed(h, page, [own.idnum] if own is not None else [], top=True)
        return h.digest()

    def _feed(self, h: Any, obj: Any, path: list[int], top: bool = False) -> bool:
        """Hash obj into h; False when it refers back to an object on the path (a cycle: not memoised)."""
        import hashlib

        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

        if isinstance(obj, IndirectObject):
            num = obj.idnum
            if num in path:  # a cycle: how far up it points, which is the same in a renumbered file
                h.update(b"@%d;" % (len(path) - path.index(num)))
                return False
            digest = self._memo.get(num)
            if digest is None:
                sub = hashlib.sha256()
                path.append(num)
                closed = self._feed(sub, obj.get_object(), path)
                path.pop()
                digest = sub.digest()
                if closed:
                    self._memo[num] = digest
            else:
                closed = True
            h.update(b"R" + digest)
            return closed
        closed = True
        if isinstance(obj, DictionaryObject):
            h.update(b"<<")
            for k in sorted(obj.keys()):
                if top and k in self._SKIP:
                    continue
                h.update(str(k).encode() + b"=")
                closed = self._feed(h, obj.raw_get(k), path) and closed
            if isinstance(obj, StreamObject):
                data = obj._data if isinstance(obj._data, bytes) else str(obj._data).encode()
                h.update(b"stream%d:" % len(data) + data)
            h.update(b">>")
        elif isinstance(obj, ArrayObject):
            h.update(b"[")
            for item in obj:
                closed = self._feed(h, item, path) and closed
            h.update(b"]")
        else:
            h.update(type(obj).__name__.encode() + b":" + repr(obj).encode() + b";")
        return closed


def _open_page_cache(path: str) -> Any:
    """The page cache, made on first use. The two children of a split parse open a new cache at the same moment, and
    switching a new file to WAL can answer "database is locked" at once instead of waiting: a few short retries, so
    neither part parses without the cache (and leaves its pages out of it)."""
    import sqlite3

    for attempt in range(5):
        try:
            return _connect_page_cache(path)
        except sqlite3.OperationalError:
            time.sleep(0.05 * (attempt + 1))
    return _connect_page_cache(path)


def _connect_page_cache(path: str) -> Any:
    import sqlite3

    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # a lost row is only extracted again
    db.execute("CREATE TABLE IF NOT EXISTS pages (key BLOB PRIMARY KEY, raw TEXT NOT NULL) WITHOUT ROWID")
    return db


_SPLIT_MIN_PAGES = 16  # a part of a split parse has at least this many pages (else the first part parses them all)


def _part_range(n: int, part: int, parts: int) -> tuple[int, int]:
    """Pages [lo, hi) (0-based) that part `part` of `parts` extracts from an n-page file."""
    if parts <= 1 or n < parts * _SPLIT_MIN_PAGES:
        return (0, n) if part == 0 else (n, n)
    return part * n // parts, (part + 1) * n // parts


def _child(path: str, max_pages: int, page_cache: str = "", part: tuple[int, int] = (0, 1)) -> dict[str, Any]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise FileNotDecryptedError("password required")
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise _Failed(f"the PDF is encrypted ({exc}); ask the publisher for an unencrypted copy") from exc
        n = len(reader.pages)
    except PdfReadError as exc:
        raise _Failed(f"not a readable PDF ({exc}); the file may be truncated or corrupt") from exc
    if n == 0:
        raise _Failed("the PDF has no pages")
    if n > max_pages:
        raise _Failed(f"{n} pages is above the limit of {max_pages} (CLINRAG_MAX_PDF_PAGES); split the file or raise the limit")
    lo, hi = _part_range(n, *part)
    if lo == hi:  # another part extracts this file's pages
        return {"pages": [], "metadata": {}, "warnings": [], "page_count": n, "reused_pages": 0}
    meta: dict[str, Any] = {}
    try:
        info: Any = reader.metadata if part[0] == 0 else None
        info = info or {}
        for key in ("/Title", "/Author", "/Subject", "/CreationDate", "/ModDate"):
            value = info.get(key)
            if value:
                meta[key[1:].lower()] = str(value)[:500]
    except Exception:  # broken info dictionaries are common; the text matters more
        meta = {}
    pages, warnings = [], []
    keys: list[bytes | None] = [None] * n
    cached: dict[bytes, str] = {}
    db = None
    if page_cache:
        try:
            db = _open_page_cache(page_cache)
            keyer = _PageKeys()
            for i in range(lo, hi):
                try:
                    keys[i] = keyer.key(reader.pages[i])
                except Exception:  # a page we cannot key is simply extracted
                    keys[i] = None
            wanted = [k for k in keys if k is not None]
            for at in range(0, len(wanted), 500):
                some = wanted[at:at + 500]
                rows = db.execute(f"SELECT key, raw FROM pages WHERE key IN ({','.join('?' * len(some))})", some).fetchall()
                cached.update((bytes(k), r) for k, r in rows)
        except Exception:  # sqlite3.Error, OSError: the cache only saves time; parse without it
            db, cached = None, {}
    fresh: list[tuple[bytes, str]] = []
    reused = 0
    for i in range(lo + 1, hi + 1):
        page = reader.pages[i - 1]
        pkey = keys[i - 1]
        if pkey is not None and pkey in cached:
            raw, reused = cached[pkey], reused + 1
        else:
            try:
                raw = page.extract_text() or ""
            except Exception as exc:  # one broken page must not lose the rest
                warnings.append(f"page {i}: text could not be extracted ({type(exc).__name__}); page skipped")
                continue
            if pkey is not None:
                fresh.append((pkey, raw))
        lost = raw.count("\ufffd") + len(re.findall(r"\(cid:\d+\)", raw))
        if lost > 5:
            warnings.append(f"page {i}: {lost} glyphs could not be mapped to text (font without a Unicode map); page text is incomplete")
            raw = re.sub(r"\(cid:\d+\)", "", raw).replace("\ufffd", "")
        text = clean_text(raw)
        if len(text) < 20:
            has_images = _has_image_xobject(page)
            reason = "no text layer (scanned image?)" if has_images else "no text"
            warnings.append(f"page {i}: {reason}; nothing indexed from it")
            continue
        if re.search(r" {3,}\S+ {3,}", raw):
            text = _table_rows(clean_text(raw.replace("\t", "   ")))
        pages.append({"number": i, "text": text})
    if db is not None and fresh:
        try:
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO pages (key, raw) VALUES (?, ?)", fresh)
            db.execute("COMMIT")
        except Exception:  # another parse holds the lock too long, or the disk is full: next time extracts again
            pass
    return {"pages": pages, "metadata": meta, "warnings": warnings, "page_count": n, "reused_pages": reused}


def _has_image_xobject(page: Any) -> bool:
    """Whether the page draws an image, read from its resources without decoding any image."""
    try:
        xobjects = page.get("/Resources", {}).get_object().get("/XObject", {}).get_object()
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    except Exception:  # malformed resources: we only lose the hint in the warning
        return False


class _Failed(Exception):
    """A PDF we cannot use, with the reason for the content team."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_OOM_EXIT = 3  # the child ran out of memory before it could write its error


def _parse_to(path: str, max_pages: int, out: str, page_cache: str = "", part: tuple[int, int] = (0, 1)) -> int:
    """Parse one file (or its part of the pages) and write the JSON result (or {"error": ...}) to out; the exit status."""
    try:
        result: dict[str, Any] = _child(path, max_pages, page_cache, part)
        code = 0
    except MemoryError:
        result, code = {"error": "ran out of memory while parsing (CLINRAG_PARSE_MEMORY_MB); the file may be a decompression bomb"}, 2
    except RecursionError:
        result, code = {"error": "the PDF's object structure is too deeply nested (pathological file)"}, 2
    except _Failed as exc:
        result, code = {"error": exc.message}, 2
    except Exception as exc:  # any other parser failure becomes a per-file error, not a crash
        result, code = {"error": f"not a readable PDF ({type(exc).__name__}: {str(exc)[:200]})"}, 2
    try:
        Path(out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    except MemoryError:
        return _OOM_EXIT
    return code


def _fork_one(req: dict[str, Any]) -> int:
    """Fork the child that parses one file under its own limits; its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        import resource

        signal.set_wakeup_fd(-1)  # the server's wake-up pipe and SIGCHLD handler are not the child's
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)

        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # the server's stdout carries the protocol; pypdf's warnings go nowhere
            os.dup2(devnull, fd)
        mem = int(req["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        cpu = int(req["timeout_s"]) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        signal.alarm(max(1, math.ceil(float(req["timeout_s"]))))  # wall clock: SIGALRM ends the child
        k, parts = req.get("part") or (0, 1)
        code = _parse_to(str(req["path"]), int(req["max_pages"]), str(req["out"]), str(req.get("page_cache") or ""),
                         (int(k), int(parts)))
    except MemoryError:
        code = _OOM_EXIT
    finally:
        os._exit(code)


def _serve() -> None:
    """Read one JSON request per line on stdin, fork a child per file, report each child's exit status on stdout."""
    # imported once here, inherited by every child (each import a child would make costs it a few ms)
    import hashlib  # noqa: F401
    import resource  # noqa: F401
    import sqlite3  # noqa: F401

    import pypdf  # noqa: F401
    import pypdf.generic  # noqa: F401

    running: dict[int, int] = {}  # pid -> ticket id
    stdin, buf, open_ = sys.stdin.fileno(), b"", True
    # a child's exit wakes the loop at once (SIGCHLD through a wake-up pipe) instead of at the next 20 ms poll
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    while open_ or running:
        ready = select.select([stdin, wake_r] if open_ else [wake_r], [], [], 1.0 if running else None)[0]
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
        if stdin in ready:
            data = os.read(stdin, 65536)
            if not data:
                open_ = False
            *lines, buf = (buf + data).split(b"\n")
            for line in lines:
                req = json.loads(line)
                running[_fork_one(req)] = int(req["id"])
        while running:
            pid, wstatus = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            status = -os.WTERMSIG(wstatus) if os.WIFSIGNALED(wstatus) else os.WEXITSTATUS(wstatus)
            sys.stdout.write(json.dumps({"id": running.pop(pid), "status": status}) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        _serve()
    else:  # one file, for debugging: python -m ingest.pdf FILE [MAX_PAGES]
        import tempfile as _t

        with _t.NamedTemporaryFile(suffix=".json") as fh:
            rc = _parse_to(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000, fh.name)
            sys.stdout.write(Path(fh.name).read_text(encoding="utf-8"))
        raise SystemExit(rc)
