// Test-only: opens a patient's page in Debian's headless Chromium at a phone's width and prints
// what a test needs, as JSON: the rendered text, every link, the document's width, and the
// accessibility violations axe-core finds.
// Usage: node page_check.mjs URL [SCREENSHOT.png]
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [url, screenshot] = process.argv.slice(2);
const viewport = { width: 375, height: 812 };
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  // The page as a patient reads it: no script at all.
  const reader = await browser.newContext({ viewport, javaScriptEnabled: false });
  const page = await reader.newPage();
  const response = await page.goto(url, { waitUntil: "load" });
  const seen = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.title,
    text: document.body.innerText,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    links: [...document.querySelectorAll("a")].map((a) => ({
      href: a.getAttribute("href"),
      text: a.innerText,
      height: a.getBoundingClientRect().height,
    })),
    headings: [...document.querySelectorAll("h1, h2, h3")].map((h) => h.tagName),
    main: document.querySelectorAll("main").length,
    qr: [...document.querySelectorAll("svg[role=img]")].map((s) => ({
      label: s.getAttribute("aria-label"),
      width: s.getBoundingClientRect().width,
    })),
    scripts: document.querySelectorAll("script").length,
  }));
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
  // axe-core needs its own script in the page: a second context that runs script and passes
  // by the page's Content-Security-Policy, which forbids every script.
  const checker = await browser.newContext({ viewport, bypassCSP: true });
  const audited = await checker.newPage();
  await audited.goto(url, { waitUntil: "load" });
  await audited.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await audited.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }),
  );
  const violations = result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
  console.log(
    JSON.stringify({
      status: response.status(),
      csp: response.headers()["content-security-policy"] || "",
      ...seen,
      violations,
      passes: result.passes.map((p) => p.id),
    }),
  );
} finally {
  await browser.close();
}
