# Measurement only (bench/RESULTS.md, "Overload 503s, round 7"): put this folder first on PYTHONPATH of a
# `clinrag serve` with PROBE_OUT=FILE.jsonl and every 5 s it appends the event loop's callbacks' wall and thread-CPU
# time (top 12 by wall), the loop's lag (a 5 ms sleep), and writes FILE.jsonl.lat: per request, status and ms from
# the loop reading its first bytes to its response handed to the socket. PROBE_CLIENT_OUT=FILE on bench/load.py
# records the load generator's own loop lag; PROBE_SWITCH=S overrides the serving process' GIL switch interval.
# See run.sh. Not imported by anything else.
import os

if os.environ.get("PROBE_OUT"):
    import asyncio
    import asyncio.events
    import collections
    import json
    import time

    _orig_run = asyncio.events.Handle._run
    stats = {"n": 0, "wall": 0.0, "cpu": 0.0, "by": collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0]), "lag": [], "slow": []}

    def _name(h):
        cb = getattr(h, "_callback", None)
        try:
            if hasattr(cb, "__self__") and hasattr(cb.__self__, "get_coro"):
                c = cb.__self__.get_coro()
                return "task:" + getattr(c, "__qualname__", str(c))
            return getattr(cb, "__qualname__", repr(cb))[:80]
        except Exception:
            return "?"

    def _run(self):
        w0 = time.perf_counter()
        c0 = time.thread_time()
        try:
            return _orig_run(self)
        finally:
            w = time.perf_counter() - w0
            c = time.thread_time() - c0
            stats["n"] += 1
            stats["wall"] += w
            stats["cpu"] += c
            b = stats["by"][_name(self)]
            b[0] += 1
            b[1] += w
            b[2] += c
            b[3] = max(b[3], w)

    asyncio.events.Handle._run = _run
    _orig_new = asyncio.new_event_loop

    def _monitor(loop):
        async def lagger():
            while True:
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                stats["lag"].append(time.perf_counter() - t - 0.005)

        async def dumper():
            start_cpu = time.thread_time()
            start = time.perf_counter()
            while True:
                await asyncio.sleep(5)
                lag = sorted(stats["lag"])
                stats["lag"] = []
                by = sorted(stats["by"].items(), key=lambda kv: -kv[1][1])[:12]
                rec = {
                    "t": time.time(),
                    "loop_cpu_s": time.thread_time() - start_cpu,
                    "wall_s": time.perf_counter() - start,
                    "cb_n": stats["n"],
                    "cb_wall": stats["wall"],
                    "cb_cpu": stats["cpu"],
                    "lag_p50_ms": lag[len(lag) // 2] * 1000 if lag else None,
                    "lag_p99_ms": lag[int(len(lag) * 0.99)] * 1000 if lag else None,
                    "lag_max_ms": lag[-1] * 1000 if lag else None,
                    "lag_n": len(lag),
                    "by": [(k, v[0], round(v[1] * 1000, 1), round(v[2] * 1000, 1), round(v[3] * 1000, 1)) for k, v in by],
                }
                start_cpu = time.thread_time()
                start = time.perf_counter()
                stats["n"] = 0
                stats["wall"] = 0.0
                stats["cpu"] = 0.0
                stats["by"].clear()
                with open(os.environ["PROBE_OUT"], "a") as f:
                    f.write(json.dumps(rec) + "\n")

        loop.create_task(lagger())
        loop.create_task(dumper())

    import uvicorn.server

    _orig_serve = uvicorn.server.Server.serve

    async def serve(self, sockets=None):
        _monitor(asyncio.get_running_loop())
        return await _orig_serve(self, sockets)

    uvicorn.server.Server.serve = serve
if os.environ.get("PROBE_OUT"):
    # server side: time from a request's first bytes read by the loop to its response's last byte handed to the socket
    import uvicorn.protocols.http.h11_impl as h11i

    _dr = h11i.H11Protocol.data_received

    def data_received(self, data):
        if getattr(self, "_probe_t0", None) is None:
            self._probe_t0 = time.perf_counter()
        return _dr(self, data)

    h11i.H11Protocol.data_received = data_received
    _send = h11i.RequestResponseCycle.send

    async def send(self, message):
        if message["type"] == "http.response.start":
            self._probe_status = message["status"]
        r = await _send(self, message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            proto = None
            t0 = None
            # the protocol keeps the cycle; find its start time through the transport's protocol
            try:
                proto = self.transport.get_protocol()
                t0 = proto._probe_t0
                proto._probe_t0 = None
            except Exception:
                pass
            if t0 is not None:
                stats.setdefault("server_lat", []).append((getattr(self, "_probe_status", 0), time.perf_counter() - t0))
                if len(stats["server_lat"]) % 50 == 0:
                    with open(os.environ["PROBE_OUT"] + ".lat", "a") as f:
                        for s, d in stats["server_lat"]:
                            f.write(f"{s} {d * 1000:.2f}\n")
                    stats["server_lat"].clear()
        return r

    h11i.RequestResponseCycle.send = send
if os.environ.get("PROBE_CLIENT_OUT"):
    import asyncio
    import time

    _arun = asyncio.run

    def run(coro, **kw):
        lags = []

        async def wrapper():
            async def lagger():
                while True:
                    t = time.perf_counter()
                    await asyncio.sleep(0.005)
                    lags.append(time.perf_counter() - t - 0.005)

            task = asyncio.get_running_loop().create_task(lagger())
            try:
                return await coro
            finally:
                task.cancel()
                if lags:
                    s = sorted(lags)
                    with open(os.environ["PROBE_CLIENT_OUT"], "a") as f:
                        f.write(
                            f"client lag n={len(s)} p50={s[len(s) // 2] * 1000:.1f} p99={s[int(len(s) * 0.99)] * 1000:.1f} max={s[-1] * 1000:.1f} ms\n"
                        )

        return _arun(wrapper(), **kw)

    asyncio.run = run
if os.environ.get("PROBE_SWITCH"):
    import sys

    _v = float(os.environ["PROBE_SWITCH"])
    _ssi = sys.setswitchinterval
    sys.setswitchinterval = lambda x: _ssi(_v)
