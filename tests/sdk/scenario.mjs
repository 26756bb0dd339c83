// A scenario of the official PocketBase JS SDK (pocketbase@0.28.1) against one server.
//
// usage:  FB_URL=http://127.0.0.1:8090 FB_SDK_DIR=<dir with node_modules/pocketbase> \
//         FB_SU_EMAIL=admin@example.com FB_SU_PASSWORD=pass12345678 node scenario.mjs
// Optional FB_SUFFIX makes the collection and user names unique (default: random).
//
// Prints one JSON line per check, {"check": name, "ok": bool, "detail": string?}, then a
// summary line {"summary": {...}}. Exits 1 when any check failed or the scenario stopped on
// an unexpected error (reported as the check "fatal").
import { check, failure, load, run } from "./harness.mjs";

const BASE = (process.env.FB_URL || "").replace(/\/$/, "");
const SU_EMAIL = process.env.FB_SU_EMAIL || "admin@example.com";
const SU_PASSWORD = process.env.FB_SU_PASSWORD || "pass12345678";
const SUFFIX = process.env.FB_SUFFIX || Math.random().toString(36).slice(2, 8);



function errText(err) {
  return err ? `${err.status} ${JSON.stringify(err.response)}` : "no error";
}


async function main() {
  const PocketBase = (await load("pocketbase")).default;
  const client = () => {
    const pb = new PocketBase(BASE);
    pb.autoCancellation(false);
    return pb;
  };
  const admin = client();
  const alice = client();
  const bob = client();
  const guest = client();
  const postsName = `sdk_posts_${SUFFIX}`;
  const aliceEmail = `alice_${SUFFIX}@example.com`;
  const bobEmail = `bob_${SUFFIX}@example.com`;

  // --- superuser --------------------------------------------------------------------------
  const su = await admin.collection("_superusers").authWithPassword(SU_EMAIL, SU_PASSWORD);
  check(
    "superuser authWithPassword",
    typeof su.token === "string" && su.record?.email === SU_EMAIL && admin.authStore.isSuperuser,
    su,
  );

  const settings = await admin.settings.update({ batch: { enabled: true, maxRequests: 20 } });
  check(
    "settings.update enables batch",
    settings.batch?.enabled === true && settings.batch?.maxRequests === 20,
    settings.batch,
  );

  // --- collections ------------------------------------------------------------------------
  const owner = "author = @request.auth.id";
  const posts = await admin.collections.create({
    name: postsName,
    type: "base",
    listRule: `published = true || ${owner}`,
    viewRule: `published = true || ${owner}`,
    createRule: '@request.auth.id != "" && @request.body.author = @request.auth.id',
    updateRule: owner,
    deleteRule: owner,
    fields: [
      { name: "title", type: "text", required: true, max: 100 },
      { name: "views", type: "number", min: 0, onlyInt: true },
      { name: "published", type: "bool" },
      { name: "author", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 },
      { name: "tags", type: "select", maxSelect: 4, values: ["news", "tech", "food", "life"] },
    ],
    indexes: [`CREATE UNIQUE INDEX idx_${postsName}_title ON ${postsName} (title)`],
  });
  const fieldNames = (posts.fields || []).map((f) => f.name);
  check(
    "collections.create with rules",
    /^pbc_\d+$/.test(posts.id) &&
      posts.name === postsName &&
      posts.updateRule === owner &&
      ["id", "title", "views", "published", "author", "tags"].every((n) => fieldNames.includes(n)),
    posts,
  );

  const viewed = await admin.collections.getOne(postsName);
  check("collections.getOne by name", viewed.id === posts.id && viewed.listRule === posts.listRule, viewed);

  let err = await failure(
    admin.collections.create({
      name: `sdk_bad_${SUFFIX}`,
      type: "base",
      listRule: "nosuchfield = 1",
      fields: [{ name: "title", type: "text" }],
    }),
  );
  check(
    "collections.create with a rule that does not compile -> 400 listRule",
    err?.status === 400 && err.response?.data?.listRule?.code === "validation_invalid_rule",
    errText(err),
  );

  err = await failure(admin.collections.create({ name: postsName.toUpperCase(), type: "base" }));
  check(
    "collections.create duplicate name -> 400 name",
    err?.status === 400 && err.response?.data?.name?.code === "validation_collection_name_exists",
    errText(err),
  );

  err = await failure(alice.collections.getList(1, 10));
  check("collections.getList as guest -> 401", err?.status === 401, errText(err));

  // --- users: sign-up, sign-in, refresh ---------------------------------------------------
  const aliceRec = await guest.collection("users").create({
    email: aliceEmail,
    password: "alicepass123",
    passwordConfirm: "alicepass123",
    name: "Alice",
  });
  check(
    "users.create (sign-up) hides email from a guest",
    aliceRec.id?.length === 15 && aliceRec.name === "Alice" && !("email" in aliceRec) &&
      aliceRec.collectionName === "users" && !("password" in aliceRec),
    aliceRec,
  );
  const bobRec = await guest.collection("users").create({
    email: bobEmail,
    emailVisibility: true,
    password: "bobpass12345",
    passwordConfirm: "bobpass12345",
    name: "Bob",
  });
  check("users.create with emailVisibility shows email", bobRec.email === bobEmail, bobRec);

  err = await failure(
    guest.collection("users").create({
      email: `carol_${SUFFIX}@example.com`,
      password: "carolpass123",
      passwordConfirm: "different123",
    }),
  );
  check(
    "users.create password mismatch -> 400 passwordConfirm",
    err?.status === 400 &&
      err.response?.data?.passwordConfirm?.code === "validation_values_mismatch" &&
      err.response?.message === "Failed to create record.",
    errText(err),
  );

  err = await failure(
    guest.collection("users").create({ email: aliceEmail, password: "x12345678", passwordConfirm: "x12345678" }),
  );
  check(
    "users.create duplicate email -> 400 email not unique",
    err?.status === 400 && err.response?.data?.email?.code === "validation_not_unique",
    errText(err),
  );

  const aliceAuth = await alice.collection("users").authWithPassword(aliceEmail, "alicepass123");
  check(
    "users authWithPassword",
    aliceAuth.record?.id === aliceRec.id && aliceAuth.record?.email === aliceEmail &&
      alice.authStore.isValid && !alice.authStore.isSuperuser,
    aliceAuth,
  );
  await bob.collection("users").authWithPassword(bobEmail, "bobpass12345");

  err = await failure(guest.collection("users").authWithPassword(aliceEmail, "wrongpass123"));
  check(
    "authWithPassword wrong password -> 400 Failed to authenticate.",
    err?.status === 400 && err.response?.message === "Failed to authenticate.",
    errText(err),
  );

  const refreshed = await alice.collection("users").authRefresh();
  check(
    "authRefresh",
    typeof refreshed.token === "string" && refreshed.record?.id === aliceRec.id &&
      alice.authStore.token === refreshed.token,
    refreshed,
  );

  err = await failure(alice.collection("users").getOne(bobRec.id));
  check("users.getOne of another user -> 404 (viewRule)", err?.status === 404, errText(err));

  err = await failure(alice.collections.getList(1, 10));
  check("collections.getList as a user -> 403", err?.status === 403, errText(err));

  // --- records: create, validation, createRule --------------------------------------------
  const P = alice.collection(postsName);
  const created = [];
  for (let i = 1; i <= 5; i++) {
    created.push(
      await P.create({
        title: `Post ${i}`,
        views: i,
        published: i === 5,
        author: aliceRec.id,
        tags: i % 2 ? ["news"] : ["tech", "news", "tech"],
      }),
    );
  }
  const first = created[0];
  check(
    "create returns the record",
    first.id?.length === 15 && first.title === "Post 1" && first.views === 1 &&
      first.published === false && first.author === aliceRec.id &&
      JSON.stringify(first.tags) === '["news"]' && first.collectionId === posts.id &&
      first.collectionName === postsName,
    first,
  );
  check(
    "create removes duplicate select values",
    JSON.stringify(created[1].tags) === '["tech","news"]',
    created[1],
  );

  err = await failure(P.create({ title: "", views: -3, author: aliceRec.id, tags: ["nope"] }));
  check(
    "create validation errors -> 400 with field codes",
    err?.status === 400 &&
      err.response?.message === "Failed to create record." &&
      err.response?.data?.title?.code === "validation_required" &&
      err.response?.data?.views?.code === "validation_min_number_constraint" &&
      err.response?.data?.tags?.code === "validation_invalid_value",
    errText(err),
  );

  err = await failure(P.create({ title: "Post 1", author: aliceRec.id }));
  check(
    "create violating a unique index -> 400 title not unique",
    err?.status === 400 && err.response?.data?.title?.code === "validation_not_unique",
    errText(err),
  );

  err = await failure(P.create({ title: "impostor", author: bobRec.id }));
  check(
    "create violating createRule -> 400 with empty data",
    err?.status === 400 && err.response?.message === "Failed to create record." &&
      JSON.stringify(err.response?.data) === "{}",
    errText(err),
  );

  err = await failure(guest.collection(postsName).create({ title: "guest", author: aliceRec.id }));
  check("create as guest -> 400 (createRule)", err?.status === 400, errText(err));

  // --- records: view and list -------------------------------------------------------------
  const one = await P.getOne(first.id);
  check("getOne", one.id === first.id && one.title === "Post 1", one);

  const filter = alice.filter("views >= {:min} && author = {:author}", { min: 2, author: aliceRec.id });
  const page1 = await P.getList(1, 2, { filter, sort: "-views" });
  check(
    "getList filter+sort, page 1",
    page1.page === 1 && page1.perPage === 2 && page1.totalItems === 4 && page1.totalPages === 2 &&
      page1.items.map((r) => r.views).join() === "5,4",
    { ...page1, items: page1.items.map((r) => r.views) },
  );
  const page2 = await P.getList(2, 2, { filter, sort: "-views" });
  check(
    "getList filter+sort, page 2",
    page2.page === 2 && page2.items.map((r) => r.views).join() === "3,2",
    { ...page2, items: page2.items.map((r) => r.views) },
  );
  const page9 = await P.getList(9, 2, { filter });
  check(
    "getList page past the end -> empty items",
    page9.page === 9 && page9.items.length === 0 && page9.totalItems === 4,
    page9,
  );
  const skip = await P.getList(1, 1, { skipTotal: true, sort: "views", fields: "id,title" });
  check(
    "getList skipTotal and fields",
    skip.totalItems === -1 && skip.totalPages === -1 && skip.items.length === 1 &&
      Object.keys(skip.items[0]).sort().join() === "id,title" && skip.items[0].title === "Post 1",
    skip,
  );
  const full = await P.getFullList({ sort: "-title", batch: 2 });
  check(
    "getFullList pages through everything",
    full.length === 5 && full.map((r) => r.title).join() === "Post 5,Post 4,Post 3,Post 2,Post 1",
    full.map((r) => r.title),
  );
  const firstItem = await P.getFirstListItem(alice.filter("title = {:t}", { t: "Post 3" }));
  check("getFirstListItem", firstItem.id === created[2].id, firstItem);
  err = await failure(P.getFirstListItem(alice.filter("title = {:t}", { t: "no such post" })));
  check("getFirstListItem without a match -> 404", err?.status === 404, errText(err));

  const tagged = await P.getFullList({ filter: "tags:each ?= 'tech'", sort: "views" });
  check(
    "getFullList filter tags:each ?=",
    tagged.map((r) => r.views).join() === "2,4",
    tagged.map((r) => r.views),
  );

  err = await failure(P.getList(1, 10, { filter: "views >" }));
  check("getList with a broken filter -> 400", err?.status === 400, errText(err));
  err = await failure(P.getList(1, 10, { filter: '@request.auth.id != ""' }));
  check(
    "getList filter with @request as user -> 403",
    err?.status === 403 && err.response?.message === "Only superusers can filter by @request.",
    errText(err),
  );

  const quoted = `it's "quoted" \\ ${SUFFIX}`;
  const q = await P.create({ title: quoted, author: aliceRec.id, published: true });
  const found = await P.getList(1, 10, { filter: alice.filter("title = {:t}", { t: quoted }) });
  check(
    "pb.filter escapes quotes and backslashes",
    found.totalItems === 1 && found.items[0]?.id === q.id,
    found,
  );

  // --- rules: another user, guest, superuser ----------------------------------------------
  const B = bob.collection(postsName);
  err = await failure(B.getOne(first.id));
  check("getOne of another user's hidden record -> 404", err?.status === 404, errText(err));
  const bobList = await B.getList(1, 10, {
    filter: bob.filter("author = {:a} && published = false", { a: aliceRec.id }),
  });
  check(
    "getList as another user -> rule hides the rows",
    bobList.totalItems === 0 && bobList.items.length === 0,
    bobList,
  );
  const published = await B.getOne(created[4].id);
  check("getOne of a published record as another user", published.id === created[4].id, published);
  err = await failure(B.update(created[4].id, { title: "hijacked" }));
  check("update as another user -> 404 (updateRule)", err?.status === 404, errText(err));
  err = await failure(B.delete(created[4].id));
  check("delete as another user -> 404 (deleteRule)", err?.status === 404, errText(err));
  const guestList = await guest.collection(postsName).getFullList({ sort: "title" });
  check(
    "getFullList as guest sees only published",
    guestList.length === 2 && guestList.every((r) => r.published === true),
    guestList.map((r) => r.title),
  );
  const suList = await admin.collection(postsName).getList(1, 1, { filter: '@request.auth.id != ""' });
  check("superuser may filter by @request and sees all", suList.totalItems === 6, suList);

  // --- update with modifiers --------------------------------------------------------------
  const upd = await P.update(first.id, { "views+": 1, "tags+": ["food"], title: "Post 1 (upd)" });
  check(
    "update with views+ and tags+",
    upd.views === 2 && JSON.stringify(upd.tags) === '["news","food"]' && upd.title === "Post 1 (upd)",
    upd,
  );
  const upd2 = await P.update(first.id, { "+tags": "life", "tags-": "news", "views-": 2 });
  check(
    "update with +tags, tags- and views-",
    upd2.views === 0 && JSON.stringify(upd2.tags) === '["life","food"]',
    upd2,
  );
  err = await failure(P.update(first.id, { "views-": 1 }));
  check(
    "update below min -> 400 views",
    err?.status === 400 && err.response?.message === "Failed to update record." &&
      err.response?.data?.views?.code === "validation_min_number_constraint",
    errText(err),
  );
  err = await failure(P.update(first.id, { tags: ["nope"] }));
  check(
    "update with an unknown select value -> 400 tags",
    err?.status === 400 && err.response?.data?.tags?.code === "validation_invalid_value",
    errText(err),
  );
  err = await failure(P.update(first.id, { author: "nosuchuser0000" }));
  check(
    "update with a missing relation -> 400 author",
    err?.status === 400 && err.response?.data?.author?.code === "validation_missing_rel_records",
    errText(err),
  );
  const after = await P.getOne(first.id);
  check("failed updates change nothing", after.views === 0 && after.title === "Post 1 (upd)", after);

  // --- batch ------------------------------------------------------------------------------
  const batch = alice.createBatch();
  batch.collection(postsName).create({ id: `batch${SUFFIX}`.padEnd(15, "0").slice(0, 15), title: "Batch A", author: aliceRec.id });
  batch.collection(postsName).create({ title: "Batch B", author: aliceRec.id, views: 7 });
  batch.collection(postsName).update(created[1].id, { "views+": 10 });
  batch.collection(postsName).delete(created[2].id);
  const sent = await batch.send();
  check(
    "batch send: create, create, update, delete",
    Array.isArray(sent) && sent.map((r) => r.status).join() === "200,200,200,204" &&
      sent[0].body?.title === "Batch A" && sent[2].body?.views === 12 && sent[3].body === null,
    sent,
  );
  err = await failure(P.getOne(created[2].id));
  check("batch delete took effect", err?.status === 404, errText(err));

  const bad = alice.createBatch();
  bad.collection(postsName).create({ title: "Batch C", author: aliceRec.id });
  bad.collection(postsName).create({ title: "", author: aliceRec.id });
  err = await failure(bad.send());
  const item = err?.response?.data?.requests?.["1"];
  check(
    "batch with an invalid item -> 400, item 1 failed",
    err?.status === 400 && err.response?.message === "Batch transaction failed." &&
      item?.code === "batch_request_failed" &&
      item?.response?.data?.title?.code === "validation_required",
    errText(err),
  );
  const rolledBack = await P.getList(1, 1, { filter: "title = 'Batch C'" });
  check("batch failure rolls back the earlier items", rolledBack.totalItems === 0, rolledBack);

  // --- delete -----------------------------------------------------------------------------
  check("delete", (await P.delete(created[3].id)) === true);
  err = await failure(P.getOne(created[3].id));
  check(
    "getOne after delete -> 404",
    err?.status === 404 && err.response?.message === "The requested resource wasn't found.",
    errText(err),
  );
  err = await failure(P.delete(created[3].id));
  check("delete again -> 404", err?.status === 404, errText(err));

  // --- expand ------------------------------------------------------------------------------
  const withAuthor = await P.getOne(created[4].id, { expand: "author" });
  check(
    "getOne with expand of a relation",
    withAuthor.expand?.author?.id === aliceRec.id && withAuthor.expand.author.name === "Alice",
    withAuthor,
  );
  const bobView = await bob.collection(postsName).getOne(created[4].id, { expand: "author" });
  check(
    "expand leaves out what the caller may not view",
    bobView.id === created[4].id && !bobView.expand?.author,
    bobView,
  );
  const expandedList = await P.getList(1, 5, { expand: "author", sort: "title" });
  check(
    "getList with expand",
    expandedList.items.length > 0 && expandedList.items.every((i) => i.expand?.author?.id === aliceRec.id),
    expandedList.items.map((i) => i.expand),
  );
  const back = await alice.collection("users").getOne(aliceRec.id, {
    expand: `${postsName}_via_author`,
  });
  const backItems = back.expand?.[`${postsName}_via_author`] ?? [];
  check(
    "expand of a back-relation",
    Array.isArray(backItems) && backItems.length > 0 && backItems.every((i) => i.author === aliceRec.id),
    back.expand,
  );

  // --- password change ----------------------------------------------------------------------
  const oldToken = alice.authStore.token;
  await alice.collection("users").update(aliceRec.id, {
    oldPassword: "alicepass123",
    password: "alicepass456",
    passwordConfirm: "alicepass456",
  });
  const stale = new PocketBase(BASE);
  stale.authStore.save(oldToken, null);
  err = await failure(stale.collection("users").authRefresh());
  check("a password change revokes the earlier token", err?.status === 401, errText(err));
  const again = await alice.collection("users").authWithPassword(aliceEmail, "alicepass456");
  check("sign in with the new password", again.record?.id === aliceRec.id, again.record);

  // Deleting a user clears the optional relation of their posts.
  check("superuser deletes a user", (await admin.collection("users").delete(aliceRec.id)) === true);
  const orphan = await admin.collection(postsName).getOne(created[4].id);
  check("optional relation cleared on delete", orphan.author === "", orphan);

  // --- clean-up ---------------------------------------------------------------------------
  check("collections.delete", (await admin.collections.delete(postsName)) === true);
  err = await failure(admin.collections.getOne(postsName));
  check("collections.getOne after delete -> 404", err?.status === 404, errText(err));
  await admin.collection("users").delete(bobRec.id);
}

await run(main, BASE);
