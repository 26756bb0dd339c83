// The official PocketBase JS SDK's OAuth2 redirect flow (authWithOAuth2 with urlCallback)
// against one server and a local OpenID Connect provider (oidc-provider-mock).
//
// usage:  FB_URL=http://127.0.0.1:8090 FB_SDK_DIR=<dir with node_modules/{pocketbase,eventsource}> \
//         FB_OIDC_URL=http://localhost:PORT FB_SU_EMAIL=... FB_SU_PASSWORD=... node oauth2.mjs
//
// The SDK connects realtime, subscribes to @oauth2 and hands urlCallback the provider's
// authorization URL (state = its realtime client id, redirect_uri = <server>/api/oauth2-redirect).
// There is no browser in Node: urlCallback plays it with fetch, choosing the subject on the
// provider's form, then requesting the redirect back to the server, which forwards the code to
// the waiting SDK over realtime. Prints one JSON line per check, then a summary line; exits 1
// when any check failed.
import { check, load, run } from "./harness.mjs";

const BASE = (process.env.FB_URL || "").replace(/\/$/, "");
const OIDC = (process.env.FB_OIDC_URL || "").replace(/\/$/, "");
const SU_EMAIL = process.env.FB_SU_EMAIL || "admin@example.com";
const SU_PASSWORD = process.env.FB_SU_PASSWORD || "pass12345678";
const SUFFIX = Math.random().toString(36).slice(2, 8);
const REDIRECT = `${BASE}/api/oauth2-redirect`;
const SUCCESS = "../_/#/auth/oauth2-redirect-success";
const FAILURE = "../_/#/auth/oauth2-redirect-failure";



// The browser at the provider: the form, then the subject chosen (or the request denied);
// returns where the provider sends the browser back.
async function atProvider(url, form) {
  const page = await fetch(url, { redirect: "manual" });
  if (page.status !== 200) throw new Error(`provider page: ${page.status} ${await page.text()}`);
  const answer = await fetch(url, { method: "POST", body: new URLSearchParams(form), redirect: "manual" });
  const location = answer.headers.get("location") || "";
  if (![302, 303].includes(answer.status) || !location.startsWith(REDIRECT)) {
    throw new Error(`provider answer: ${answer.status} ${location}`);
  }
  return location;
}

// The browser back at the server's redirect endpoint: its status and location.
async function backAtServer(location) {
  const landed = await fetch(location, { redirect: "manual" });
  return { status: landed.status, location: landed.headers.get("location") };
}

async function main() {
  const { EventSource } = await load("eventsource");
  globalThis.EventSource = EventSource;
  const PocketBase = (await load("pocketbase")).default;
  const client = () => {
    const pb = new PocketBase(BASE);
    pb.autoCancellation(false);
    return pb;
  };
  const admin = client();
  await admin.collection("_superusers").authWithPassword(SU_EMAIL, SU_PASSWORD);
  await admin.collections.update("users", {
    oauth2: {
      enabled: true,
      providers: [
        {
          name: "oidc",
          clientId: "sdk-client",
          clientSecret: "sdk-secret",
          authURL: `${OIDC}/oauth2/authorize`,
          tokenURL: `${OIDC}/oauth2/token`,
          userInfoURL: `${OIDC}/userinfo`,
          displayName: "Local OIDC",
          pkce: true,
        },
      ],
      mappedFields: { name: "name" },
    },
  });
  const sub = `sdk-${SUFFIX}`;
  const email = `oauth_${SUFFIX}@example.com`;
  const claims = { email, email_verified: true, name: "Olive Auth", preferred_username: `olive${SUFFIX}` };
  const put = await fetch(`${OIDC}/users/${sub}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(claims),
  });
  if (put.status !== 204) throw new Error(`mock user: ${put.status}`);

  // 1. Sign up through the provider.
  const pb = client();
  const seen = {};
  const auth = await pb.collection("users").authWithOAuth2({
    provider: "oidc",
    urlCallback: async (url) => {
      const parsed = new URL(url);
      seen.state = parsed.searchParams.get("state");
      seen.redirect = parsed.searchParams.get("redirect_uri");
      seen.authURL = `${parsed.origin}${parsed.pathname}`;
      seen.landed = await backAtServer(await atProvider(url, { sub }));
    },
  });
  check("the authorization URL is the provider's", seen.authURL === `${OIDC}/oauth2/authorize`, seen);
  check("redirect_uri is the server's oauth2-redirect", seen.redirect === REDIRECT, seen);
  check("state is a realtime client id", /^[A-Za-z0-9]{40}$/.test(seen.state || ""), seen);
  check(
    "the redirect endpoint sends the browser to the success page",
    seen.landed && seen.landed.status === 307 && seen.landed.location === SUCCESS,
    seen.landed,
  );
  check(
    "signed up: a new verified record with the provider's address and mapped name",
    auth.record.email === email && auth.record.verified === true && auth.record.name === "Olive Auth",
    auth.record,
  );
  check(
    "meta tells who the provider said signed in",
    auth.meta && auth.meta.isNew === true && auth.meta.id === sub && auth.meta.email === email &&
      auth.meta.username === claims.preferred_username && !!auth.meta.accessToken,
    auth.meta,
  );
  check("the auth store holds the token", pb.authStore.isValid && pb.authStore.record?.id === auth.record.id, pb.authStore.record);
  const refreshed = await pb.collection("users").authRefresh();
  check("the token works", refreshed.record.id === auth.record.id, refreshed.record);
  const links = await admin.collection("_externalAuths").getFullList({ filter: `recordRef = "${auth.record.id}"` });
  check(
    "the record is linked to the provider's user",
    links.length === 1 && links[0].provider === "oidc" && links[0].providerId === sub,
    links,
  );

  // 2. Sign in again: the same record.
  const again = client();
  const second = await again.collection("users").authWithOAuth2({
    provider: "oidc",
    urlCallback: async (url) => {
      await backAtServer(await atProvider(url, { sub }));
    },
  });
  check(
    "signing in again finds the linked record",
    second.record.id === auth.record.id && second.meta.isNew === false,
    { first: auth.record.id, second: second.record, isNew: second.meta.isNew },
  );

  // 3. The person denies the request: the SDK rejects with the provider's error.
  const denied = client();
  const landedDenied = {};
  let landing = null;
  let failure = null;
  try {
    await denied.collection("users").authWithOAuth2({
      provider: "oidc",
      urlCallback: async (url) => {
        const state = new URL(url).searchParams.get("state");
        let back = await atProvider(url, { action: "deny" });
        // oidc-provider-mock leaves the state out of its error redirect (RFC 6749 4.1.2.1
        // requires it, real providers send it): put it back as they would.
        if (!new URL(back).searchParams.has("state")) back += `&state=${encodeURIComponent(state)}`;
        landing = backAtServer(back);
        Object.assign(landedDenied, await landing);
      },
    });
  } catch (err) {
    failure = err;
  }
  // The SDK may reject (the error came over realtime) before the redirect's own answer is in.
  if (landing !== null) Object.assign(landedDenied, await landing);
  check(
    "a denied request lands on the failure page",
    landedDenied.status === 307 && landedDenied.location === FAILURE,
    landedDenied,
  );
  check(
    "the SDK rejects with the provider's error",
    failure !== null &&
      String(failure.originalError?.message || "").includes("access_denied") &&
      !denied.authStore.isValid,
    failure ? { message: failure.message, original: String(failure.originalError) } : "no error",
  );
}

await run(main, BASE);
