// The official PocketBase JS SDK's realtime (subscribe / unsubscribe) against one server.
//
// usage:  FB_URL=http://127.0.0.1:8090 FB_SDK_DIR=<dir with node_modules/{pocketbase,eventsource}> \
//         FB_SU_EMAIL=admin@example.com FB_SU_PASSWORD=pass12345678 node realtime.mjs
//
// Prints one JSON line per check, {"check": name, "ok": bool, "detail": string?}, then a
// summary line. Exits 1 when any check failed or the scenario stopped on an unexpected error.
import { check, load, run } from "./harness.mjs";

const BASE = (process.env.FB_URL || "").replace(/\/$/, "");
const SU_EMAIL = process.env.FB_SU_EMAIL || "admin@example.com";
const SU_PASSWORD = process.env.FB_SU_PASSWORD || "pass12345678";
const SUFFIX = Math.random().toString(36).slice(2, 8);



// Resolves once `condition()` holds, or after `ms` (then the check that follows fails).
async function until(condition, ms = 8000) {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return condition();
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
  const alice = client();
  const guest = client();
  const name = `rt_posts_${SUFFIX}`;

  await admin.collection("_superusers").authWithPassword(SU_EMAIL, SU_PASSWORD);
  const rule = "published = true || author = @request.auth.id";
  await admin.collections.create({
    name,
    type: "base",
    listRule: rule,
    viewRule: rule,
    fields: [
      { name: "title", type: "text" },
      { name: "published", type: "bool" },
      { name: "author", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 },
    ],
  });
  const email = `alice_${SUFFIX}@example.com`;
  const me = await admin
    .collection("users")
    .create({ email, password: "alice-pass-123", passwordConfirm: "alice-pass-123" });
  await alice.collection("users").authWithPassword(email, "alice-pass-123");

  const guestEvents = [];
  const aliceEvents = [];
  const pickedEvents = [];
  const unsubscribeGuest = await guest.collection(name).subscribe("*", (e) => guestEvents.push(e));
  await alice.collection(name).subscribe("*", (e) => aliceEvents.push(e));
  await guest
    .collection(name)
    .subscribe("*", (e) => pickedEvents.push(e), { fields: "id,title", filter: "title ~ 'pub'" });
  check("subscribe connects", guest.realtime.isConnected && alice.realtime.isConnected, {
    guest: guest.realtime.isConnected,
    alice: alice.realtime.isConnected,
  });
  check("clientId from PB_CONNECT", /^[A-Za-z0-9]{40}$/.test(guest.realtime.clientId), guest.realtime.clientId);

  const draft = await admin.collection(name).create({ title: "draft", author: me.id });
  const pub = await admin.collection(name).create({ title: "pub", published: true });

  await until(() => aliceEvents.length >= 2 && guestEvents.length >= 1 && pickedEvents.length >= 1);
  check(
    "owner receives both creates in order",
    aliceEvents.length === 2 &&
      aliceEvents[0].action === "create" &&
      aliceEvents[0].record.id === draft.id &&
      aliceEvents[1].record.id === pub.id,
    aliceEvents,
  );
  check(
    "guest receives only what the list rule lets it see",
    guestEvents.length === 1 && guestEvents[0].record.id === pub.id && guestEvents[0].record.title === "pub",
    guestEvents,
  );
  check(
    "options fields and filter shape the pushed record",
    pickedEvents.length === 1 &&
      Object.keys(pickedEvents[0].record).sort().join() === "id,title" &&
      pickedEvents[0].record.id === pub.id &&
      pickedEvents[0].record.title === "pub",
    pickedEvents,
  );

  const oneEvents = [];
  await guest.collection(name).subscribe(pub.id, (e) => oneEvents.push(e));
  await admin.collection(name).update(pub.id, { title: "pub 2" });
  await until(() => oneEvents.length >= 1 && guestEvents.length >= 2);
  check(
    "record subscription gets the update",
    oneEvents.length === 1 && oneEvents[0].action === "update" && oneEvents[0].record.title === "pub 2",
    oneEvents,
  );

  await unsubscribeGuest();
  await guest.collection(name).unsubscribe(pub.id);
  await admin.collection(name).delete(pub.id);
  await until(() => aliceEvents.length >= 4 && pickedEvents.length >= 3);
  check(
    "delete reaches the remaining subscribers",
    aliceEvents.length === 4 && aliceEvents[3].action === "delete" && aliceEvents[3].record.id === pub.id,
    aliceEvents,
  );
  check(
    "unsubscribed callbacks get nothing more",
    guestEvents.length === 2 && oneEvents.length === 1,
    { guestEvents, oneEvents },
  );
  check(
    "the other subscription of the same topic stays",
    pickedEvents.length === 3 && pickedEvents.map((e) => e.action).join() === "create,update,delete",
    pickedEvents,
  );
  await guest.collection(name).unsubscribe();
  check("unsubscribing everything disconnects", !guest.realtime.isConnected, guest.realtime.isConnected);
  await alice.realtime.unsubscribe();
}

await run(main, BASE);
