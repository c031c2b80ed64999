"""A load generator run as its own process: `python -m tests.bench.loadgen checkout|saga ...`.
Prints one JSON object: requests done, errors, achieved rate, and latency percentiles in ms.

Open loop (`--rate R`): a request starts every 1/R s whatever the answers do, so slow answers
cannot hide queueing. Closed loop (`--rate 0`): `--concurrency` clients send back to back (saturation).
The client is aiohttp's (a fraction of httpx's cost a request: the generator must not be what is
measured)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

import aiohttp

from tests.bench.figures import percentile


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.buyer = {"Authorization": f"Bearer {args.buyer_token}"}
        self.supplier = {"Authorization": f"Bearer {args.supplier_token}"}
        self.cart = {
            "grant_id": args.grant,
            "lines": [{"supplier_id": "SUP-004", "sku": "CS-0002", "quantity": 1, "unit_price_minor": 2800}],
        }
        self.latencies: dict[str, list[float]] = {"checkout": [], "paid": [], "completed": []}
        self.errors = 0

    async def checkout(self, http: aiohttp.ClientSession) -> str | None:
        started = time.perf_counter()
        async with http.post(
            f"{self.args.url}/v1/checkouts",
            json=self.cart,
            headers={**self.buyer, "Idempotency-Key": uuid.uuid4().hex},
        ) as response:
            if response.status != 201:
                self.errors += 1
                return None
            body = await response.json()
        self.latencies["checkout"].append((time.perf_counter() - started) * 1000)
        order_id: str = body["orders"][0]["order_id"]
        return order_id

    async def wait_for(self, http: aiohttp.ClientSession, order_id: str, status: str) -> bool:
        async with http.get(
            f"{self.args.url}/v1/orders/{order_id}",
            headers=self.buyer,
            params={"wait_for": status, "timeout": "10"},
        ) as response:
            return response.status == 200 and (await response.json())["status"] == status

    async def saga(self, http: aiohttp.ClientSession) -> None:
        started = time.perf_counter()
        order_id = await self.checkout(http)
        if order_id is None or not await self.wait_for(http, order_id, "PAID"):
            self.errors += 1
            return
        self.latencies["paid"].append((time.perf_counter() - started) * 1000)
        async with http.post(
            f"{self.args.url}/v1/orders/{order_id}/ship",
            headers=self.supplier,
            json={"carrier": "SF Express", "tracking_number": "SF1"},
        ) as shipped:
            await shipped.read()
        confirming = time.perf_counter()
        async with http.post(
            f"{self.args.url}/v1/orders/{order_id}/confirm-receipt", headers=self.buyer
        ) as confirmed:
            await confirmed.read()
        if shipped.status != 200 or confirmed.status != 200:
            self.errors += 1
            return
        if not await self.wait_for(http, order_id, "COMPLETED"):
            self.errors += 1
            return
        self.latencies["completed"].append((time.perf_counter() - confirming) * 1000)

    async def one(self, http: aiohttp.ClientSession) -> None:
        try:
            if self.args.mode == "saga":
                await self.saga(http)
            else:
                await self.checkout(http)
        except (aiohttp.ClientError, TimeoutError):
            self.errors += 1

    async def run(self) -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as http:
            for _ in range(20):  # warm the connection pool and the service's code paths
                await self.one(http)
            for values in self.latencies.values():
                values.clear()
            self.errors = 0
            started = time.perf_counter()
            end = started + self.args.duration
            if self.args.rate > 0:
                tasks = []
                n = 0
                while (due := started + n / self.args.rate) < end:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    tasks.append(asyncio.create_task(self.one(http)))
                    n += 1
                await asyncio.gather(*tasks)
            else:

                async def client() -> None:
                    while time.perf_counter() < end:
                        await self.one(http)

                await asyncio.gather(*(client() for _ in range(self.args.concurrency)))
            elapsed = time.perf_counter() - started
        done = len(self.latencies["checkout"])
        return {
            "done": done,
            "errors": self.errors,
            "rate": done / elapsed,
            "samples": self.latencies,  # so that several generators' runs can be merged
            **{
                f"{name}_p{p}": percentile(values, p)
                for name, values in self.latencies.items()
                if values
                for p in (50, 99)
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["checkout", "saga"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--grant", required=True)
    parser.add_argument("--buyer-token", required=True)
    parser.add_argument("--supplier-token", required=True)
    parser.add_argument("--rate", type=float, default=0, help="requests per second; 0 = closed loop")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(Load(args).run())))


if __name__ == "__main__":
    main()
