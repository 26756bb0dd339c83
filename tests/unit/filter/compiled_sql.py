# ruff: noqa: E501
"""Expected SQL and parameters per dialect for the compiler table test.

Each entry is (filter, sql, params), compiled for ``tests.unit.filter.schema.POSTS`` as a
rule with ``REQUEST``, ``NOW`` and placeholders ``t="x"``, ``n=3``. The SQL of every entry
also runs against real databases in ``tests/filter_db``; review a diff here as a change of
the SQL the stores will execute.
"""

from typing import Any

Case = tuple[str, str, tuple[Any, ...]]

SQLITE_CASES: list[Case] = [
    ("views > 10", '"posts"."views" > ?', (10.0,)),
    ("views >= 10", '"posts"."views" >= ?', (10.0,)),
    ("views < 10", '"posts"."views" < ?', (10.0,)),
    ("views <= 10", '"posts"."views" <= ?', (10.0,)),
    ("views = 10", '"posts"."views" = ?', (10.0,)),
    ("views != 10", '"posts"."views" IS NOT ?', (10.0,)),
    ("title ~ 'abc'", '"posts"."title" LIKE ? ESCAPE \'\\\'', ("%abc%",)),
    ("title !~ 'abc'", '"posts"."title" NOT LIKE ? ESCAPE \'\\\'', ("%abc%",)),
    ("title ~ 'ab%'", '"posts"."title" LIKE ? ESCAPE \'\\\'', ("ab%",)),
    ("title ~ 'a_b'", '"posts"."title" LIKE ? ESCAPE \'\\\'', ("%a\\_b%",)),
    (
        "title ~ author.name",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_author" ON "_j_author"."id" = "posts"."author" WHERE "posts"."title" LIKE (\'%\' || "_j_author"."name" || \'%\') ESCAPE \'\\\')',
        (),
    ),
    ("title ?= 'a'", '"posts"."title" = ?', ("a",)),
    ("views ?> 1", '"posts"."views" > ?', (1.0,)),
    ("title = ''", '("posts"."title" = \'\' OR "posts"."title" IS NULL)', ()),
    ("title != ''", '("posts"."title" IS NOT \'\' AND "posts"."title" IS NOT NULL)', ()),
    ("title = null", '("posts"."title" = \'\' OR "posts"."title" IS NULL)', ()),
    ("'' = title", '(\'\' = "posts"."title" OR "posts"."title" IS NULL)', ()),
    (
        "title = author.name",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_author" ON "_j_author"."id" = "posts"."author" WHERE COALESCE("posts"."title", \'\') = COALESCE("_j_author"."name", \'\'))',
        (),
    ),
    ("views = '500'", '"posts"."views" = ?', ("500",)),
    ("published = true", '"posts"."published" = 1', ()),
    ("published = 'true'", '"posts"."published" = ?', ("true",)),
    (
        "author.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_author" ON "_j_author"."id" = "posts"."author" WHERE "_j_author"."name" = ?)',
        ("x",),
    ),
    ("author.id = 'u1'", '"posts"."author" = ?', ("u1",)),
    (
        "editors.name ?= 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN json_each(CASE WHEN iif(json_valid("posts"."editors"), json_type("posts"."editors")=\'array\', FALSE) THEN "posts"."editors" ELSE json_array("posts"."editors") END) AS "_j_editors_je" LEFT JOIN "users" AS "_j_editors" ON "_j_editors"."id" = "_j_editors_je"."value" WHERE "_j_editors"."name" = ?)',
        ("x",),
    ),
    (
        "editors.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN json_each(CASE WHEN iif(json_valid("posts"."editors"), json_type("posts"."editors")=\'array\', FALSE) THEN "posts"."editors" ELSE json_array("posts"."editors") END) AS "_j_editors_je" LEFT JOIN "users" AS "_j_editors" ON "_j_editors"."id" = "_j_editors_je"."value" WHERE (("_j_editors"."name" = ?) AND (NOT EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN json_each(CASE WHEN iif(json_valid("posts"."editors"), json_type("posts"."editors")=\'array\', FALSE) THEN "posts"."editors" ELSE json_array("posts"."editors") END) AS "_m1_editors_je" LEFT JOIN "users" AS "_m1_editors" ON "_m1_editors"."id" = "_m1_editors_je"."value" WHERE NOT ("_m1_editors"."name" = ?)))))',
        ("x", "x"),
    ),
    (
        "comments_via_post.message ?~ 'hi'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_j_comments_via_post" ON "_j_comments_via_post"."post" = "posts"."id" WHERE "_j_comments_via_post"."message" LIKE ? ESCAPE \'\\\')',
        ("%hi%",),
    ),
    (
        "tags:each ?= 'a'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN json_each(CASE WHEN iif(json_valid("posts"."tags"), json_type("posts"."tags")=\'array\', FALSE) THEN "posts"."tags" ELSE json_array("posts"."tags") END) AS "_j_tags_je" WHERE "_j_tags_je"."value" = ?)',
        ("a",),
    ),
    (
        "tags:each = 'a'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN json_each(CASE WHEN iif(json_valid("posts"."tags"), json_type("posts"."tags")=\'array\', FALSE) THEN "posts"."tags" ELSE json_array("posts"."tags") END) AS "_j_tags_je" WHERE (("_j_tags_je"."value" = ?) AND (NOT EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN json_each(CASE WHEN iif(json_valid("posts"."tags"), json_type("posts"."tags")=\'array\', FALSE) THEN "posts"."tags" ELSE json_array("posts"."tags") END) AS "_m1_tags_je" WHERE NOT ("_m1_tags_je"."value" = ?)))))',
        ("a", "a"),
    ),
    (
        "tags:length > 1",
        'json_array_length(CASE WHEN iif(json_valid("posts"."tags"), json_type("posts"."tags")=\'array\', FALSE) THEN "posts"."tags" ELSE (CASE WHEN "posts"."tags" = \'\' OR "posts"."tags" IS NULL THEN json_array() ELSE json_array("posts"."tags") END) END) > ?',
        (1.0,),
    ),
    ("title:lower = 'x'", 'LOWER("posts"."title") = ?', ("x",)),
    (
        "meta.a.b = 1",
        '(CASE WHEN json_valid("posts"."meta") THEN JSON_EXTRACT("posts"."meta", \'$.a.b\') ELSE JSON_EXTRACT(json_object(\'pb\', "posts"."meta"), \'$.pb.a.b\') END) IS ?',
        (1.0,),
    ),
    (
        "meta = null",
        '(CASE WHEN json_valid("posts"."meta") THEN JSON_EXTRACT("posts"."meta", \'$\') ELSE JSON_EXTRACT(json_object(\'pb\', "posts"."meta"), \'$.pb\') END) IS NULL',
        (),
    ),
    (
        "loc.lon > 1",
        '(CASE WHEN json_valid("posts"."loc") THEN JSON_EXTRACT("posts"."loc", \'$.lon\') ELSE JSON_EXTRACT(json_object(\'pb\', "posts"."loc"), \'$.pb.lon\') END) > ?',
        (1.0,),
    ),
    ("@request.auth.id = author", '? = "posts"."author"', ("u1",)),
    (
        "@request.auth.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_a_users" ON "_j_a_users"."id" = ? WHERE "_j_a_users"."name" = ?)',
        ("u1", "x"),
    ),
    ("@request.body.title:isset = true", "TRUE = 1", ()),
    (
        "@request.body.title:changed = true",
        '((TRUE = 1 AND ? IS NOT "posts"."title")) IS 1',
        ("Hi",),
    ),
    (
        "@request.body.tags:each ?= tags:each",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN json_each(?) AS "_j_de_tags" LEFT JOIN json_each(CASE WHEN iif(json_valid("posts"."tags"), json_type("posts"."tags")=\'array\', FALSE) THEN "posts"."tags" ELSE json_array("posts"."tags") END) AS "_j_tags_je" WHERE "_j_de_tags"."value" = "_j_tags_je"."value")',
        ('["a","b"]',),
    ),
    ("@request.body.tags:length = 2", "2 = ?", (2.0,)),
    ("@request.body.views = views", '? = "posts"."views"', (12.0,)),
    ("@request.query.page = '2'", "? = ?", ("2", "2")),
    ("@request.headers.x_token = 't'", "? = ?", ("t", "t")),
    ("@request.method = 'POST'", "? = ?", ("POST", "POST")),
    ("@request.context = 'default'", "? = ?", ("default", "default")),
    (
        "@request.body.author.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_d_users_author" ON "_j_d_users_author"."id" IN (SELECT "value" FROM json_each(?)) WHERE "_j_d_users_author"."name" = ?)',
        ('["u2"]', "x"),
    ),
    (
        "@collection.comments.message ?= 'x' && id ?= @collection.comments.post",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_j_c_comments" ON TRUE WHERE ("_j_c_comments"."message" = ? AND COALESCE("posts"."id", \'\') = COALESCE("_j_c_comments"."post", \'\')))',
        ("x",),
    ),
    (
        "@collection.comments:c.post = id",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_j_ca_c" ON TRUE WHERE ((COALESCE("_j_ca_c"."post", \'\') = COALESCE("posts"."id", \'\')) AND (NOT EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_m1_ca_c" ON TRUE WHERE NOT (COALESCE("_m1_ca_c"."post", \'\') = COALESCE("posts"."id", \'\'))))))',
        (),
    ),
    ("created > @now", '"posts"."created" > ?', ("2026-02-14 09:30:15.123Z",)),
    ("created < @todayEnd", '"posts"."created" < ?', ("2026-02-14 23:59:59.999Z",)),
    ("@hour > 1", "? > ?", (9, 1.0)),
    ("strftime('%Y', created) = '2026'", 'strftime(?,"posts"."created") = ?', ("%Y", "2026")),
    (
        "geoDistance(loc.lon, loc.lat, 1, 2) < 10",
        '(6371 * acos(cos(radians((CASE WHEN json_valid("posts"."loc") THEN JSON_EXTRACT("posts"."loc", \'$.lat\') ELSE JSON_EXTRACT(json_object(\'pb\', "posts"."loc"), \'$.pb.lat\') END))) * cos(radians(?)) * cos(radians(?) - radians((CASE WHEN json_valid("posts"."loc") THEN JSON_EXTRACT("posts"."loc", \'$.lon\') ELSE JSON_EXTRACT(json_object(\'pb\', "posts"."loc"), \'$.pb.lon\') END))) + sin(radians((CASE WHEN json_valid("posts"."loc") THEN JSON_EXTRACT("posts"."loc", \'$.lat\') ELSE JSON_EXTRACT(json_object(\'pb\', "posts"."loc"), \'$.pb.lat\') END))) * sin(radians(?)))) < ?',
        (2.0, 1.0, 2.0, 10.0),
    ),
    (
        "views > 1 && (title = 'a' || title = 'b')",
        '("posts"."views" > ? AND ("posts"."title" = ? OR "posts"."title" = ?))',
        (1.0, "a", "b"),
    ),
    ("title = {:t} && views > {:n}", '("posts"."title" = ? AND "posts"."views" > ?)', ("x", 3.0)),
]

POSTGRES_CASES: list[Case] = [
    ("views > 10", '"posts"."views" > CAST(? AS DOUBLE PRECISION)', (10.0,)),
    ("views >= 10", '"posts"."views" >= CAST(? AS DOUBLE PRECISION)', (10.0,)),
    ("views < 10", '"posts"."views" < CAST(? AS DOUBLE PRECISION)', (10.0,)),
    ("views <= 10", '"posts"."views" <= CAST(? AS DOUBLE PRECISION)', (10.0,)),
    ("views = 10", '"posts"."views" = CAST(? AS DOUBLE PRECISION)', (10.0,)),
    ("views != 10", '"posts"."views" IS DISTINCT FROM CAST(? AS DOUBLE PRECISION)', (10.0,)),
    (
        "title ~ 'abc'",
        "translate(\"posts\".\"title\", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE translate(CAST(? AS TEXT), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') ESCAPE '\\'",
        ("%abc%",),
    ),
    (
        "title !~ 'abc'",
        "translate(\"posts\".\"title\", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') NOT LIKE translate(CAST(? AS TEXT), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') ESCAPE '\\'",
        ("%abc%",),
    ),
    (
        "title ~ 'ab%'",
        "translate(\"posts\".\"title\", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE translate(CAST(? AS TEXT), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') ESCAPE '\\'",
        ("ab%",),
    ),
    (
        "title ~ 'a_b'",
        "translate(\"posts\".\"title\", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE translate(CAST(? AS TEXT), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') ESCAPE '\\'",
        ("%a\\_b%",),
    ),
    (
        "title ~ author.name",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_author" ON "_j_author"."id" = "posts"."author" WHERE translate("posts"."title", \'ABCDEFGHIJKLMNOPQRSTUVWXYZ\', \'abcdefghijklmnopqrstuvwxyz\') LIKE translate((\'%\' || "_j_author"."name" || \'%\'), \'ABCDEFGHIJKLMNOPQRSTUVWXYZ\', \'abcdefghijklmnopqrstuvwxyz\') ESCAPE \'\\\')',
        (),
    ),
    ("title ?= 'a'", '"posts"."title" = CAST(? AS TEXT)', ("a",)),
    ("views ?> 1", '"posts"."views" > CAST(? AS DOUBLE PRECISION)', (1.0,)),
    ("title = ''", '"posts"."title" = \'\'', ()),
    (
        "title != ''",
        '"posts"."title" IS DISTINCT FROM \'\'',
        (),
    ),
    ("title = null", '"posts"."title" = \'\'', ()),
    ("'' = title", '\'\' = "posts"."title"', ()),
    (
        "title = author.name",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_author" ON "_j_author"."id" = "posts"."author" WHERE "posts"."title" = COALESCE("_j_author"."name", \'\'))',
        (),
    ),
    ("views = '500'", '"posts"."views" = CAST(? AS DOUBLE PRECISION)', (500.0,)),
    ("published = true", '"posts"."published" = TRUE', ()),
    (
        "published = 'true'",
        "FALSE",
        (),
    ),
    (
        "author.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_author" ON "_j_author"."id" = "posts"."author" WHERE "_j_author"."name" = CAST(? AS TEXT))',
        ("x",),
    ),
    ("author.id = 'u1'", '"posts"."author" = CAST(? AS TEXT)', ("u1",)),
    (
        "editors.name ?= 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof("posts"."editors") = \'array\' THEN "posts"."editors" ELSE jsonb_build_array("posts"."editors") END) AS "_j_editors_je"("value") ON TRUE LEFT JOIN "users" AS "_j_editors" ON "_j_editors"."id" = "_j_editors_je"."value" WHERE "_j_editors"."name" = CAST(? AS TEXT))',
        ("x",),
    ),
    (
        "editors.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof("posts"."editors") = \'array\' THEN "posts"."editors" ELSE jsonb_build_array("posts"."editors") END) AS "_j_editors_je"("value") ON TRUE LEFT JOIN "users" AS "_j_editors" ON "_j_editors"."id" = "_j_editors_je"."value" WHERE (("_j_editors"."name" = CAST(? AS TEXT)) AND (NOT EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof("posts"."editors") = \'array\' THEN "posts"."editors" ELSE jsonb_build_array("posts"."editors") END) AS "_m1_editors_je"("value") ON TRUE LEFT JOIN "users" AS "_m1_editors" ON "_m1_editors"."id" = "_m1_editors_je"."value" WHERE NOT ("_m1_editors"."name" = CAST(? AS TEXT))))))',
        ("x", "x"),
    ),
    (
        "comments_via_post.message ?~ 'hi'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_j_comments_via_post" ON "_j_comments_via_post"."post" = "posts"."id" WHERE translate("_j_comments_via_post"."message", \'ABCDEFGHIJKLMNOPQRSTUVWXYZ\', \'abcdefghijklmnopqrstuvwxyz\') LIKE translate(CAST(? AS TEXT), \'ABCDEFGHIJKLMNOPQRSTUVWXYZ\', \'abcdefghijklmnopqrstuvwxyz\') ESCAPE \'\\\')',
        ("%hi%",),
    ),
    (
        "tags:each ?= 'a'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof("posts"."tags") = \'array\' THEN "posts"."tags" ELSE jsonb_build_array("posts"."tags") END) AS "_j_tags_je"("value") ON TRUE WHERE "_j_tags_je"."value" = CAST(? AS TEXT))',
        ("a",),
    ),
    (
        "tags:each = 'a'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof("posts"."tags") = \'array\' THEN "posts"."tags" ELSE jsonb_build_array("posts"."tags") END) AS "_j_tags_je"("value") ON TRUE WHERE (("_j_tags_je"."value" = CAST(? AS TEXT)) AND (NOT EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof("posts"."tags") = \'array\' THEN "posts"."tags" ELSE jsonb_build_array("posts"."tags") END) AS "_m1_tags_je"("value") ON TRUE WHERE NOT ("_m1_tags_je"."value" = CAST(? AS TEXT))))))',
        ("a", "a"),
    ),
    (
        "tags:length > 1",
        '(CASE WHEN "posts"."tags" IS NULL THEN 0 WHEN jsonb_typeof("posts"."tags") = \'array\' THEN jsonb_array_length("posts"."tags") ELSE 1 END) > CAST(? AS DOUBLE PRECISION)',
        (1.0,),
    ),
    (
        "title:lower = 'x'",
        "translate(\"posts\".\"title\", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = CAST(? AS TEXT)",
        ("x",),
    ),
    (
        "meta.a.b = 1",
        '(CASE WHEN (CASE jsonb_typeof(("posts"."meta" #> \'{a,b}\')) WHEN \'number\' THEN CAST(("posts"."meta" #> \'{a,b}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."meta" #> \'{a,b}\') AS BOOLEAN) AS INTEGER) END IS NULL AND CASE jsonb_typeof(("posts"."meta" #> \'{a,b}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."meta" #> \'{a,b}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."meta" #> \'{a,b}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."meta" #> \'{a,b}\') AS TEXT) END IS NULL) THEN FALSE ELSE COALESCE(CASE jsonb_typeof(("posts"."meta" #> \'{a,b}\')) WHEN \'number\' THEN CAST(("posts"."meta" #> \'{a,b}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."meta" #> \'{a,b}\') AS BOOLEAN) AS INTEGER) END = CAST(? AS DOUBLE PRECISION), FALSE) END)',
        (1.0,),
    ),
    (
        "meta = null",
        '(CASE jsonb_typeof("posts"."meta") WHEN \'number\' THEN CAST("posts"."meta" AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST("posts"."meta" AS BOOLEAN) AS INTEGER) END IS NULL AND CASE jsonb_typeof("posts"."meta") WHEN \'string\' THEN jsonb_build_array("posts"."meta") ->> 0 WHEN \'array\' THEN CAST("posts"."meta" AS TEXT) WHEN \'object\' THEN CAST("posts"."meta" AS TEXT) END IS NULL)',
        (),
    ),
    (
        "loc.lon > 1",
        'CASE WHEN (CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lon}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lon}\') AS BOOLEAN) AS INTEGER) END IS NULL AND CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lon}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) END IS NULL) THEN NULL ELSE COALESCE(CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lon}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lon}\') AS BOOLEAN) AS INTEGER) END > CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION) IS NOT NULL) END',
        (1.0, 1.0),
    ),
    ("@request.auth.id = author", 'CAST(? AS TEXT) = "posts"."author"', ("u1",)),
    (
        "@request.auth.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_a_users" ON "_j_a_users"."id" = CAST(? AS TEXT) WHERE "_j_a_users"."name" = CAST(? AS TEXT))',
        ("u1", "x"),
    ),
    ("@request.body.title:isset = true", "1 = 1", ()),
    (
        "@request.body.title:changed = true",
        '(CASE WHEN (1 = 1 AND CAST(? AS TEXT) IS DISTINCT FROM "posts"."title") THEN 1 ELSE 0 END) IS NOT DISTINCT FROM 1',
        ("Hi",),
    ),
    (
        "@request.body.tags:each ?= tags:each",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN LATERAL jsonb_array_elements_text(CAST(? AS JSONB)) AS "_j_de_tags"("value") ON TRUE LEFT JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof("posts"."tags") = \'array\' THEN "posts"."tags" ELSE jsonb_build_array("posts"."tags") END) AS "_j_tags_je"("value") ON TRUE WHERE "_j_de_tags"."value" = "_j_tags_je"."value")',
        ('["a","b"]',),
    ),
    ("@request.body.tags:length = 2", "2 = CAST(? AS DOUBLE PRECISION)", (2.0,)),
    ("@request.body.views = views", 'CAST(? AS DOUBLE PRECISION) = "posts"."views"', (12.0,)),
    ("@request.query.page = '2'", "CAST(? AS TEXT) = CAST(? AS TEXT)", ("2", "2")),
    ("@request.headers.x_token = 't'", "CAST(? AS TEXT) = CAST(? AS TEXT)", ("t", "t")),
    ("@request.method = 'POST'", "CAST(? AS TEXT) = CAST(? AS TEXT)", ("POST", "POST")),
    ("@request.context = 'default'", "CAST(? AS TEXT) = CAST(? AS TEXT)", ("default", "default")),
    (
        "@request.body.author.name = 'x'",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "users" AS "_j_d_users_author" ON "_j_d_users_author"."id" IN (SELECT jsonb_array_elements_text(CAST(? AS JSONB))) WHERE "_j_d_users_author"."name" = CAST(? AS TEXT))',
        ('["u2"]', "x"),
    ),
    (
        "@collection.comments.message ?= 'x' && id ?= @collection.comments.post",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_j_c_comments" ON TRUE WHERE ("_j_c_comments"."message" = CAST(? AS TEXT) AND "posts"."id" = COALESCE("_j_c_comments"."post", \'\')))',
        ("x",),
    ),
    (
        "@collection.comments:c.post = id",
        'EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_j_ca_c" ON TRUE WHERE ((COALESCE("_j_ca_c"."post", \'\') = "posts"."id") AND (NOT EXISTS (SELECT 1 FROM (SELECT 1) AS "_fb" LEFT JOIN "comments" AS "_m1_ca_c" ON TRUE WHERE NOT (COALESCE("_m1_ca_c"."post", \'\') = "posts"."id")))))',
        (),
    ),
    (
        "created > @now",
        '"posts"."created" > CAST(? AS TEXT) COLLATE "C"',
        ("2026-02-14 09:30:15.123Z",),
    ),
    (
        "created < @todayEnd",
        '"posts"."created" < CAST(? AS TEXT) COLLATE "C"',
        ("2026-02-14 23:59:59.999Z",),
    ),
    ("@hour > 1", "CAST(? AS DOUBLE PRECISION) > CAST(? AS DOUBLE PRECISION)", (9.0, 1.0)),
    (
        "strftime('%Y', created) = '2026'",
        '(CASE WHEN CASE WHEN "posts"."created" ~ \'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+){0,1}){0,1}){0,1}Z{0,1}$\' THEN CAST(rtrim("posts"."created", \'Z\') AS TIMESTAMP) WHEN "posts"."created" = \'now\' THEN CAST(now() AT TIME ZONE \'UTC\' AS TIMESTAMP) END IS NULL THEN NULL ELSE to_char(CASE WHEN "posts"."created" ~ \'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+){0,1}){0,1}){0,1}Z{0,1}$\' THEN CAST(rtrim("posts"."created", \'Z\') AS TIMESTAMP) WHEN "posts"."created" = \'now\' THEN CAST(now() AT TIME ZONE \'UTC\' AS TIMESTAMP) END, \'YYYY\') END) = CAST(? AS TEXT)',
        ("2026",),
    ),
    (
        "geoDistance(loc.lon, loc.lat, 1, 2) < 10",
        '(6371 * CASE WHEN cos(radians(COALESCE(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lat}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lat}\') AS BOOLEAN) AS INTEGER) END, CASE WHEN CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END ~ \'^\\s*[+-]{0,1}([0-9]+(\\.[0-9]*){0,1}|\\.[0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\\s*$\' THEN CAST(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END AS DOUBLE PRECISION) END))) * cos(radians(CAST(? AS DOUBLE PRECISION))) * cos(radians(CAST(? AS DOUBLE PRECISION)) - radians(COALESCE(CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lon}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lon}\') AS BOOLEAN) AS INTEGER) END, CASE WHEN CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lon}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) END ~ \'^\\s*[+-]{0,1}([0-9]+(\\.[0-9]*){0,1}|\\.[0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\\s*$\' THEN CAST(CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lon}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) END AS DOUBLE PRECISION) END))) + sin(radians(COALESCE(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lat}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lat}\') AS BOOLEAN) AS INTEGER) END, CASE WHEN CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END ~ \'^\\s*[+-]{0,1}([0-9]+(\\.[0-9]*){0,1}|\\.[0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\\s*$\' THEN CAST(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END AS DOUBLE PRECISION) END))) * sin(radians(CAST(? AS DOUBLE PRECISION))) BETWEEN -1 AND 1 THEN acos(cos(radians(COALESCE(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lat}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lat}\') AS BOOLEAN) AS INTEGER) END, CASE WHEN CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END ~ \'^\\s*[+-]{0,1}([0-9]+(\\.[0-9]*){0,1}|\\.[0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\\s*$\' THEN CAST(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END AS DOUBLE PRECISION) END))) * cos(radians(CAST(? AS DOUBLE PRECISION))) * cos(radians(CAST(? AS DOUBLE PRECISION)) - radians(COALESCE(CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lon}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lon}\') AS BOOLEAN) AS INTEGER) END, CASE WHEN CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lon}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) END ~ \'^\\s*[+-]{0,1}([0-9]+(\\.[0-9]*){0,1}|\\.[0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\\s*$\' THEN CAST(CASE jsonb_typeof(("posts"."loc" #> \'{lon}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lon}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lon}\') AS TEXT) END AS DOUBLE PRECISION) END))) + sin(radians(COALESCE(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'number\' THEN CAST(("posts"."loc" #> \'{lat}\') AS DOUBLE PRECISION) WHEN \'boolean\' THEN CAST(CAST(("posts"."loc" #> \'{lat}\') AS BOOLEAN) AS INTEGER) END, CASE WHEN CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END ~ \'^\\s*[+-]{0,1}([0-9]+(\\.[0-9]*){0,1}|\\.[0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\\s*$\' THEN CAST(CASE jsonb_typeof(("posts"."loc" #> \'{lat}\')) WHEN \'string\' THEN jsonb_build_array(("posts"."loc" #> \'{lat}\')) ->> 0 WHEN \'array\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) WHEN \'object\' THEN CAST(("posts"."loc" #> \'{lat}\') AS TEXT) END AS DOUBLE PRECISION) END))) * sin(radians(CAST(? AS DOUBLE PRECISION)))) END) < CAST(? AS DOUBLE PRECISION)',
        (2.0, 1.0, 2.0, 2.0, 1.0, 2.0, 10.0),
    ),
    (
        "views > 1 && (title = 'a' || title = 'b')",
        '("posts"."views" > CAST(? AS DOUBLE PRECISION) AND ("posts"."title" = CAST(? AS TEXT) OR "posts"."title" = CAST(? AS TEXT)))',
        (1.0, "a", "b"),
    ),
    (
        "title = {:t} && views > {:n}",
        '("posts"."title" = CAST(? AS TEXT) AND "posts"."views" > CAST(? AS DOUBLE PRECISION))',
        ("x", 3.0),
    ),
]
