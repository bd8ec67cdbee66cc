// Swagger UI in a real browser: headless Chromium (Debian's package, /usr/bin/chromium) driven
// by playwright-core over CDP. Opens /swagger-ui/, logs in as `analyst` in the Authorize dialog
// through the OAuth2 password flow (POST /api/v1/auth/token), runs GET /api/v1/reports/cases
// and asserts that the page shows a 200 answer; then switches the top bar to the partner
// document and checks what it lists. KIM_BASE_URL names the running server.
import { chromium } from "playwright-core";

const base = process.env.KIM_BASE_URL;
if (!base) {
  console.error("KIM_BASE_URL is not set");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
// Generous: Swagger UI renders the whole document, and CI machines are shared.
const timeout = 120_000;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let failed = false;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  await page.goto(`${base}/swagger-ui/`);

  // The Authorize dialog lists the bearer scheme and the oauth2 password flow.
  await page.locator(".scheme-container .btn.authorize").click();
  const oauth = page.locator(".auth-container", { has: page.locator("#oauth_username") });
  await oauth.locator("#oauth_username").fill("analyst");
  await oauth.locator("#oauth_password").fill("demo-password");
  await oauth.locator("button.authorize").click();
  // Logged in: the form is replaced by the scheme's logout button (bearer stays logged out).
  await page.locator(".dialog-ux .auth-container button", { hasText: "Logout" }).first().waitFor();
  await page.locator(".dialog-ux .modal-ux-header .close-modal").click();

  // GET /api/v1/reports/cases: open, try it out, execute.
  const operation = page.locator(".opblock-get", {
    has: page.locator('.opblock-summary-path[data-path="/api/v1/reports/cases"]'),
  });
  await operation.locator(".opblock-summary").first().click();
  await operation.locator(".try-out__btn").click();
  await operation.locator("button.execute").click();
  const status = operation.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor();
  const code = (await status.innerText()).trim();
  const body = await operation.locator(".live-responses-table .response-col_description pre").first().innerText();
  if (!code.startsWith("200")) {
    throw new Error(`GET /api/v1/reports/cases answered ${code} in Swagger UI: ${body.slice(0, 500)}`);
  }
  if (!body.includes('"suppressed_cells"')) {
    throw new Error(`the answer shown is not a cases report: ${body.slice(0, 500)}`);
  }
  console.log("swagger-ui browser test: authorized as analyst via OAuth2 password flow; GET /api/v1/reports/cases answered 200");

  // The top bar offers the partner document too: it shows the partners' operations only.
  await page.locator(".topbar select").selectOption({ label: "KIM API for partner systems" });
  await page.locator(".info .title", { hasText: "KIM API for partner systems" }).waitFor();
  await page.locator('.opblock-summary-path[data-path="/api/v1/events"]').first().waitFor();
  const casePaths = await page.locator('.opblock-summary-path[data-path="/api/v1/cases"]').count();
  if (casePaths !== 0) {
    throw new Error("the partner document shows /api/v1/cases, which partner tokens cannot call");
  }
  console.log("swagger-ui browser test: the partner document is listed and shows the event feed, not the cases");
} catch (e) {
  failed = true;
  console.error(`swagger-ui browser test failed: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
