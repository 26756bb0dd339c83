// Files through the official PocketBase JS SDK (pocketbase@0.28.1) against one server:
// FormData uploads (the SDK's multipart with @jsonPayload), pb.files.getURL with thumbs and
// download, file tokens for protected fields, append/remove modifiers, and deletion.
//
// usage:  FB_URL=http://127.0.0.1:8090 FB_SDK_DIR=<dir with node_modules/pocketbase> \
//         FB_SU_EMAIL=admin@example.com FB_SU_PASSWORD=pass12345678 node files.mjs
//
// Prints one JSON line per check, {"check": name, "ok": bool, "detail": string?}, then a
// summary line {"summary": {...}}. Exits 1 when any check failed (or "fatal").
import { check, failure, load, run } from "./harness.mjs";

const BASE = (process.env.FB_URL || "").replace(/\/$/, "");
const SU_EMAIL = process.env.FB_SU_EMAIL || "admin@example.com";
const SU_PASSWORD = process.env.FB_SU_PASSWORD || "pass12345678";
const SUFFIX = process.env.FB_SUFFIX || Math.random().toString(36).slice(2, 8);




// A 4x2 red PNG (so thumbnails have something to scale).
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAQAAAACCAIAAADwyuo0AAAAEElEQVR4nGP8z4AATEhsBgAZNQEDGy9LEgAAAABJRU5ErkJggg==",
  "base64",
);
const NAME = /^[a-z0-9_]+_[a-z0-9]{10}\.[a-z]+$/;

async function main() {
  const PocketBase = (await load("pocketbase")).default;
  const client = () => {
    const pb = new PocketBase(BASE);
    pb.autoCancellation(false);
    return pb;
  };
  const admin = client();
  const user = client();
  const guest = client();
  await admin.collection("_superusers").authWithPassword(SU_EMAIL, SU_PASSWORD);

  const name = `sdkfiles_${SUFFIX}`;
  await admin.collections.create({
    name,
    type: "base",
    listRule: "",
    viewRule: "owner = @request.auth.id",
    createRule: "@request.auth.id != ''",
    updateRule: "owner = @request.auth.id",
    deleteRule: "owner = @request.auth.id",
    fields: [
      { name: "title", type: "text" },
      { name: "owner", type: "text" },
      { name: "cover", type: "file", maxSelect: 1, maxSize: 100000, mimeTypes: ["image/png"], thumbs: ["2x0"] },
      { name: "docs", type: "file", maxSelect: 5 },
      { name: "secret", type: "file", maxSelect: 1, protected: true },
    ],
  });
  const email = `files_${SUFFIX}@example.com`;
  const userRec = await guest.collection("users").create({ email, password: "pass12345678", passwordConfirm: "pass12345678" });
  await user.collection("users").authWithPassword(email, "pass12345678");

  // FormData upload, as browsers and Node send files
  const form = new FormData();
  form.append("title", "with files");
  form.append("owner", userRec.id);
  form.append("cover", new Blob([PNG], { type: "image/png" }), "Cover Image.png");
  form.append("docs", new Blob(["first"], { type: "text/plain" }), "one.txt");
  form.append("docs", new Blob(["second"], { type: "text/plain" }), "two.txt");
  form.append("secret", new Blob(["hidden"], { type: "text/plain" }), "secret.txt");
  const rec = await user.collection(name).create(form);
  check("FormData create stores names", NAME.test(rec.cover) && rec.cover.startsWith("cover_image_"), rec);
  check("multiple files in order", rec.docs.length === 2 && rec.docs[0].startsWith("one_") && rec.docs[1].startsWith("two_"), rec);

  // plain object with File values: the SDK switches to multipart + @jsonPayload
  const more = await user.collection(name).update(rec.id, {
    title: "json and files",
    "docs+": [new File(["third"], "three.txt", { type: "text/plain" })],
  });
  check("object with File appends via docs+", more.title === "json and files" && more.docs.length === 3, more);

  // getURL and download
  const url = user.files.getURL(more, more.cover);
  check("getURL shape", url === `${BASE}/api/files/${more.collectionId}/${more.id}/${more.cover}`, url);
  const got = await fetch(url);
  const bytes = Buffer.from(await got.arrayBuffer());
  check("download is the upload", got.status === 200 && bytes.equals(PNG), got.status);
  check("image served inline", (got.headers.get("content-disposition") || "").startsWith("inline"), got.headers.get("content-disposition"));
  const thumb = await fetch(user.files.getURL(more, more.cover, { thumb: "2x0" }));
  check("thumb served", thumb.status === 200 && (thumb.headers.get("content-disposition") || "").includes(`2x0_${more.cover}`), thumb.headers.get("content-disposition"));
  const forced = await fetch(user.files.getURL(more, more.docs[0], { download: true }));
  check("download=1 attachment", (forced.headers.get("content-disposition") || "").startsWith("attachment") && (await forced.text()) === "first", forced.headers.get("content-disposition"));

  // protected file: token needed
  const noToken = await fetch(user.files.getURL(more, more.secret));
  check("protected file without token -> 404", noToken.status === 404, noToken.status);
  const token = await user.files.getToken();
  check("getToken returns a JWT", typeof token === "string" && token.split(".").length === 3, token);
  const withToken = await fetch(user.files.getURL(more, more.secret, { token }));
  check("protected file with token", withToken.status === 200 && (await withToken.text()) === "hidden", withToken.status);
  let err = await failure(guest.files.getToken());
  check("getToken as guest -> 401", err?.status === 401, err && err.status);

  // validation: mime type from the bytes
  const bad = new FormData();
  bad.append("cover", new Blob(["not an image"], { type: "image/png" }), "fake.png");
  err = await failure(user.collection(name).update(more.id, bad));
  check("mime type checked from the bytes", err?.status === 400 && err.response?.data?.cover?.code === "validation_invalid_mime_type", err && err.response);

  // remove one file, and the old file is gone
  const oldDoc = more.docs[0];
  const less = await user.collection(name).update(more.id, { "docs-": [oldDoc] });
  check("docs- removes", less.docs.length === 2 && !less.docs.includes(oldDoc), less);
  const gone = await fetch(user.files.getURL(more, oldDoc));
  check("removed file -> 404", gone.status === 404, gone.status);

  // delete the record: its files go too
  await user.collection(name).delete(more.id);
  const afterDelete = await fetch(url);
  check("record deleted -> file 404", afterDelete.status === 404, afterDelete.status);

  await admin.collections.delete(name);
  await admin.collection("users").delete(userRec.id);
}

await run(main, BASE);
