"""A newcomer's first five minutes, as the README tells them: start the demo, sign in as a demo agent,
run ``simulate`` and see the screen pop (the real console script, the real demo data, Chromium)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, login, screenshot
from tests.processes import free_port

CLI = Path(sys.executable).with_name("contact-center")
START_TIMEOUT = 180.0  # seeding and migrating on a loaded two-core machine


@dataclass(frozen=True)
class Demo:
    url: str
    password: str
    agents: list[str]
    config: Path
    env: dict[str, str]


def _banner_field(banner: str, name: str) -> str:
    found = re.search(rf"^\s*{name}:\s+(.+?)\s*$", banner, re.MULTILINE)
    assert found, f"no {name} in the demo's banner: {banner!r}"
    return found.group(1)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """``contact-center demo`` as a newcomer starts it (a small seed, its own data folder and port);
    stopped with Ctrl+C (SIGINT) afterwards, which must end it cleanly without a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update(CC_DATA_DIR=str(tmp_path), CC_PORT=str(free_port()))
    log = (tmp_path / "demo.log").open("wb")
    proc = subprocess.Popen([str(CLI), "demo", "--customers", "60", "--orders", "400"], env=env,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True)
    reader.start()
    try:
        banner = ""
        while "Stop with Ctrl+C" not in banner:
            try:
                banner += lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                pytest.fail(f"the demo did not start: {(tmp_path / 'demo.log').read_text()[-2000:]}")
        yield Demo(url=_banner_field(banner, "URL"), password=_banner_field(banner, "Password").split()[0],
                   agents=_banner_field(banner, "Agents").split(", "), config=Path(_banner_field(banner, "Config")),
                   env=env)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        assert "Traceback" not in (tmp_path / "demo.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(10)  # at the end of its output
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()


@pytest.mark.timeout(300)  # a demo process, a seed, two browsers: longer than one test's default on a busy box
def test_simulate_out_of_the_box_pops_on_the_demo_agents_desk(demo: Demo, new_page: PageFactory) -> None:
    """README step by step: sign in as the first demo agent, run `simulate --calls 1` with the demo's
    configuration; the simulator says it was answered by that agent's extension, and their desk shows
    the caller's screen pop with the three sources. Then a chat on /chat/demo reaches the same agent,
    who accepts it with A and answers the visitor live."""
    agent = demo.agents[0]
    page = new_page(demo.url)
    login(page, agent, demo.password)
    expect(page.locator("#presence-state")).to_have_attribute("data-state", "available")  # "your status is Available"
    done = subprocess.run([str(CLI), "--config", str(demo.config), "simulate", "--calls", "1"], env=demo.env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert re.search(r": answered by \d+", done.stdout), done.stdout
    pop = page.locator("article.pop")
    expect(pop.locator("#pop-title")).not_to_be_empty()
    for name in ("sales", "accounting", "credit"):
        expect(pop.locator(f'.pop-section[data-section="{name}"]')).to_have_attribute(
            "data-status", re.compile("ok|no_record"))
    screenshot(page, "newcomer-first-call")

    # Step 3, a chat on /chat/demo: offered to Anna once her wrap-up is over; A accepts; replies reach the visitor.
    visitor = new_page(demo.url, viewport={"width": 900, "height": 700})
    visitor.goto("/chat/demo")
    visitor.get_by_role("button", name="Chat with us").click()
    visitor.wait_for_function("window.ContactCenterChat && window.ContactCenterChat.connected()")
    visitor.get_by_label("Message").fill("Hello, is the R300 router in stock?")
    visitor.get_by_label("Message").press("Enter")
    offer = page.locator(".alert.offer.ch-chat")
    expect(offer).to_be_visible(timeout=60_000)
    page.keyboard.press("a")
    conversation = page.locator("section.conversation")
    expect(conversation.locator(".msg.dir-in")).to_contain_text("R300 router in stock")
    page.get_by_role("radio", name="Reply by chat").check()
    page.locator("section.conversation textarea").fill("Yes, it ships today.")
    page.get_by_role("button", name="Send chat message").click()
    expect(visitor.locator(".cc-msg.cc-agent")).to_contain_text("it ships today")
