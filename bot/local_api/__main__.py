"""``python -m bot.local_api --port 8081``: serve the fake Bot API until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.local_api.server import DEFAULT_TOKEN, LocalBotApi


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.local_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="resident_test_bot")
    parser.add_argument("--bot-first-name", default="社区助手")
    parser.add_argument("--privacy-mode", action="store_true")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    api = LocalBotApi(
        args.token,
        bot_username=args.bot_username,
        bot_first_name=args.bot_first_name,
        host=args.host,
        port=args.port,
        privacy_mode=args.privacy_mode,
    )
    async with api:
        print(api.base_url, flush=True)
        print(f"base_file_url={api.base_file_url} token={api.token}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
