// What every SDK script shares: its checks, printed one JSON line each, the packages it loads
// from FB_SDK_DIR, and its end (a summary line; exit 1 when any check failed or `main` threw,
// reported as the check "fatal").
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const results = [];

export function check(name, ok, detail) {
  const entry = { check: name, ok: !!ok };
  if (!ok) entry.detail = typeof detail === "string" ? detail : JSON.stringify(detail);
  results.push(entry);
  console.log(JSON.stringify(entry));
}

// The ClientResponseError of `promise`, or null when it resolved.
export async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    if (err && typeof err.status === "number" && "response" in err) return err;
    throw err;
  }
}

// A package installed under FB_SDK_DIR (`pocketbase`, `eventsource`), as an ES module.
export async function load(name) {
  const require = createRequire(path.join(path.resolve(process.env.FB_SDK_DIR || ""), "noop.js"));
  return import(pathToFileURL(require.resolve(name)).href);
}

// Run `main`, then print the summary and exit with the outcome.
export async function run(main, target) {
  try {
    await main();
  } catch (err) {
    const detail =
      err && "response" in err
        ? `${err.status} ${err.url} ${JSON.stringify(err.response)}`
        : String(err?.stack || err);
    check("fatal", false, detail);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(JSON.stringify({ summary: { target, passed: results.length - failed, failed } }));
  process.exit(failed === 0 ? 0 : 1);
}
