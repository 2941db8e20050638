"""Full-text search: stored tsvectors on threads and posts, GIN indexes.

Both vectors are STORED generated columns, so PostgreSQL recomputes them in the very
statement that writes a title or a body: the services, the admin, a raw UPDATE and
the bench generator's COPY (which switches triggers off) all keep them right, and
adding the column fills it for every existing row (the backfill).

A post's vector weighs its author's own words B and the text inside [QUOTE] blocks
(however nested) D, so a reply that only quotes a phrase ranks below the post that
wrote it. The split is plpgsql: a generated column may only call IMMUTABLE
functions, and this one calls nothing but built-ins, so it needs no search_path (a
pg_dump restore runs with an empty one). BBCode tags are blanked before parsing.

Cost on the 1,000,000-post bench forum (2 cores): adding the post column rewrites
the table in about three minutes, during which forum_post is locked; the indexes
are then built CONCURRENTLY (a few minutes) while posting and reading go on, and
the vectors analysed (seconds). Hence this migration runs outside a transaction.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import AddIndexConcurrently
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, models

# Known tag names only (markup/parser.py), so "[sic]" or "[1]" stays text.
TAG = (
    r"\[/?(?:b|i|u|s|url|email|img|quote|code|icode|list|\*|spoiler|color|size"
    r"|center|indent)(?:=[^\]\n]*)?\]"
)

FUNCTIONS = rf"""
CREATE OR REPLACE FUNCTION forum_post_search_vector(body text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
    piece text;
    opening text;
    depth integer := 0;
    own text[] := '{{}}';
    quoted text[] := '{{}}';
BEGIN
    -- Most posts quote nothing: one parse, no split.
    IF strpos(lower(body), '[quote') = 0 THEN
        RETURN setweight(
            to_tsvector('english', regexp_replace(body, '{TAG}', ' ', 'gi')), 'B'
        );
    END IF;
    -- Cut before every [quote…] and [/quote]; each piece starts with its tag.
    FOREACH piece IN ARRAY
        regexp_split_to_array(body, '(?=\[/?quote[=\]])', 'i')
    LOOP
        opening := substring(piece FROM '(?i)^\[quote(?:=[^\]\n]*)?\]');
        IF opening IS NOT NULL THEN
            depth := depth + 1;
            piece := substr(piece, length(opening) + 1);
        ELSIF depth > 0 AND piece ~* '^\[/quote\]' THEN
            depth := depth - 1;
            piece := substr(piece, 9);
        END IF;
        IF depth = 0 THEN
            own := own || piece;
        ELSE
            quoted := quoted || piece;
        END IF;
    END LOOP;
    RETURN setweight(to_tsvector('english', regexp_replace(
               array_to_string(own, ' '), '{TAG}', ' ', 'gi')), 'B')
        || setweight(to_tsvector('english', regexp_replace(
               array_to_string(quoted, ' '), '{TAG}', ' ', 'gi')), 'D');
END
$fn$;

-- The text a result's snippet is cut from: the body without its BBCode tags.
CREATE OR REPLACE FUNCTION forum_search_text(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(body, '{TAG}', ' ', 'gi');
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS forum_search_text(text);
DROP FUNCTION IF EXISTS forum_post_search_vector(text);
"""


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("forum", "0009_post_ip_created_index"),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        migrations.AddField(
            model_name="thread",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("title"),
                    output_field=SearchVectorField(),
                    template=(
                        "setweight(to_tsvector('english'::regconfig, "
                        "%(expressions)s), 'A')"
                    ),
                ),
                output_field=SearchVectorField(),
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("body"),
                    function="forum_post_search_vector",
                    output_field=SearchVectorField(),
                ),
                output_field=SearchVectorField(),
            ),
        ),
        # GIN builds sort in memory; the default 64 MB makes the post index's build
        # spill to disk several times. Session-wide, for the builds below only.
        migrations.RunSQL("SET maintenance_work_mem = '256MB'", migrations.RunSQL.noop),
        AddIndexConcurrently(
            model_name="thread",
            index=GinIndex(fields=["search_vector"], name="forum_thread_search"),
        ),
        AddIndexConcurrently(
            model_name="post",
            index=GinIndex(fields=["search_vector"], name="forum_post_search"),
        ),
        AddIndexConcurrently(
            model_name="post",
            index=models.Index(fields=["created_at", "id"], name="forum_post_created"),
        ),
        migrations.RunSQL("RESET maintenance_work_mem", migrations.RunSQL.noop),
        # Rewriting the table counts as no change to autovacuum, which would leave
        # the new columns without statistics for a long while; forum/search.py
        # chooses its read from the planner's estimate, which needs them.
        migrations.RunSQL(
            "ANALYZE forum_post (search_vector); ANALYZE forum_thread (search_vector)",
            migrations.RunSQL.noop,
        ),
    ]
