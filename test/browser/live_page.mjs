// The live page in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Opens the page of a running daemon that is replaying calls, and requires that it
// connects to the event stream, shows non-zero counts that then grow, draws its charts
// and tables, and logs no error. Saves a screenshot. With LIVE_USER and LIVE_PASSWORD
// (the daemon's metrics.users), it first requires that the page without them is 401,
// then opens it with them (HTTP basic authentication); an https URL's certificate is
// not checked here (live_page.sh checks it with curl and Python).
//
// Usage: node live_page.mjs URL SCREENSHOT.png   (CHROMIUM: the browser, default /usr/bin/chromium)
import { chromium } from 'playwright-core';

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node live_page.mjs URL SCREENSHOT.png');
  process.exit(64);
}
const count = (text) => Number(text.replace(/,/g, ''));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // No GPU here, and no network beyond loopback for Chromium's own services.
  args: ['--disable-gpu', '--disable-quic'],
});
try {
  const user = process.env.LIVE_USER;
  const options = { viewport: { width: 1400, height: 1000 }, ignoreHTTPSErrors: true };
  if (user) {
    // Refused: Chromium ends a navigation whose 401 it has no credentials for with
    // ERR_INVALID_AUTH_CREDENTIALS; other browsers show the 401.
    const stranger = await browser.newPage(options);
    const refused = await stranger.goto(url, { waitUntil: 'load' }).then(
      (response) => `status ${response.status()}`,
      (error) => (/ERR_INVALID_AUTH_CREDENTIALS/.test(error.message) ? 'status 401' : `error ${error.message}`));
    if (refused !== 'status 401') throw new Error(`without credentials the page got ${refused}, not 401`);
    console.log('without credentials: 401');
    await stranger.close();
    options.httpCredentials = { username: user, password: process.env.LIVE_PASSWORD };
  }
  const page = await browser.newPage(options);
  const errors = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error}`));
  page.on('console', (message) => message.type() === 'error' && errors.push(`console: ${message.text()}`));
  // Not 'networkidle': the event stream stays open for as long as the page does.
  await page.goto(url, { waitUntil: 'load' });
  await page.locator('#connection.up').waitFor({ timeout: 15000 });
  await page.waitForFunction(() => Number(document.querySelector('#calls').textContent.replace(/,/g, '')) > 0,
    null, { timeout: 60000 });
  const first = count(await page.locator('#calls').textContent());
  console.log(`the page shows ${first} calls`);
  await page.waitForFunction((n) => Number(document.querySelector('#calls').textContent.replace(/,/g, '')) > n,
    first, { timeout: 60000 });
  const later = count(await page.locator('#calls').textContent());
  console.log(`then ${later} calls`);

  // Both charts drawn, the tables filled, the dispositions described from the radio codes.
  await page.locator('#hours-chart canvas').waitFor();
  await page.locator('#trend-chart canvas').waitFor();
  const typeRows = await page.locator('#types tr').count();
  // Every partition of the calls topic listed with its reader (three partitions, two threads).
  await page.waitForFunction(() => document.querySelectorAll('#partitions tr').length === 3, null, { timeout: 15000 });
  const owned = await page.locator('#partitions td', { hasText: /^thread [01]$/ }).count();
  if (owned !== 3) throw new Error(`${owned} of 3 partitions shown with their thread`);
  const described = await page.locator('#dispositions td', { hasText: 'Handled' }).count();
  if (typeRows < 3) throw new Error(`the crime-type table has ${typeRows} rows`);
  if (described < 1) throw new Error('no disposition is described ("HAN": "Handled")');
  const updates = count(await page.locator('#updates').textContent());
  if (updates < 2) throw new Error(`${updates} updates pushed`);
  console.log(`${typeRows} crime types listed, ${updates} updates pushed`);

  await page.waitForTimeout(1500);  // one more update, so the charts hold several hours
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
  if (errors.length > 0) throw new Error(errors.join('\n'));
} finally {
  await browser.close();
}
