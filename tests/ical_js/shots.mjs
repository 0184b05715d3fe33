// Test-only: opens pages in Debian's headless Chromium without script, takes a full-page
// screenshot of each and prints, as JSON, what a test needs: the text, the marks (their words,
// colours and places), the links, and the fonts the page's text was drawn with.
// Usage: node shots.mjs WIDTH URL SCREENSHOT.png [PRINT.pdf] [URL SCREENSHOT.png [PRINT.pdf]]...
// A PRINT.pdf argument (ending in .pdf) prints the page as Chromium prints it (A4).
import { chromium } from "playwright-core";

const [width, ...rest] = process.argv.slice(2);
const jobs = [];
while (rest.length) {
  const url = rest.shift();
  const shot = rest.shift();
  const printed = rest[0] && rest[0].endsWith(".pdf") ? rest.shift() : null;
  jobs.push({ url, shot, printed });
}
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const out = [];
try {
  const context = await browser.newContext({
    viewport: { width: Number(width), height: 900 },
    javaScriptEnabled: false,
  });
  for (const { url, shot, printed } of jobs) {
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: "load" });
    const client = await context.newCDPSession(page);
    await client.send("DOM.enable");
    await client.send("CSS.enable");
    const { root } = await client.send("DOM.getDocument", { depth: -1 });
    const { nodeId } = await client.send("DOM.querySelector", { nodeId: root.nodeId, selector: "h1" });
    const { fonts } = await client.send("CSS.getPlatformFontsForNode", { nodeId });
    const seen = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      text: document.body.innerText,
      scrollWidth: document.documentElement.scrollWidth,
      marks: [...document.querySelectorAll(".mark")].map((m) => {
        const box = m.getBoundingClientRect();
        return {
          kind: m.className.replace("mark ", ""),
          text: m.innerText,
          background: getComputedStyle(m).backgroundColor,
          top: box.top + window.scrollY,
        };
      }),
      links: [...document.querySelectorAll("a")].map((a) => ({
        href: a.getAttribute("href"),
        text: a.innerText,
        hreflang: a.getAttribute("hreflang"),
        top: a.getBoundingClientRect().top + window.scrollY,
      })),
      code: [...document.querySelectorAll("svg[role=img]")].map(
        (s) => s.getBoundingClientRect().top + window.scrollY,
      ),
      height: document.documentElement.scrollHeight,
    }));
    await page.screenshot({ path: shot, fullPage: true });
    if (printed) {
      await page.emulateMedia({ media: "print" });
      await page.pdf({ path: printed, format: "A4", printBackground: true });
    }
    out.push({ url, status: response ? response.status() : 0, h1Fonts: fonts, ...seen });
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
