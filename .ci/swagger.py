"""Logs in through Swagger UI's Authorize button (OAuth2 password flow) in a headless Chromium as
the demo administrator, then runs GET /api/v1/me from the UI and expects 200 with the admin user."""

import re
import sys

from playwright.sync_api import sync_playwright

base, log_path = sys.argv[1], sys.argv[2]
password = re.search(r"username=admin\s+password=(\S+)", open(log_path, encoding="utf-8").read()).group(1)

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_page()
    page.goto(base + "/swagger-ui/")
    page.wait_for_selector("button.authorize", timeout=30000)
    page.click("button.authorize")
    page.fill("#oauth_username", "admin")
    page.fill("#oauth_password", password)
    page.locator(".auth-container:has(#oauth_username) button.authorize").click()
    page.wait_for_selector("button:has-text('Logout')", timeout=15000)
    page.locator(".modal-ux button.btn-done").first.click()
    me = page.locator("#operations-auth-get_me")
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    page.wait_for_selector("#operations-auth-get_me .live-responses-table .response-col_status", timeout=15000)
    status = me.locator(".live-responses-table .response .response-col_status").first.inner_text().strip()
    body = me.locator(".live-responses-table .highlight-code").first.inner_text()
    browser.close()

assert status == "200", (status, body)
assert '"name": "admin"' in body, body
print("Swagger UI: Authorize (password flow) and GET /api/v1/me answered 200 as admin")
