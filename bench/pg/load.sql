-- One feed file through the PostgreSQL path, in one transaction (synchronous_commit = on):
-- COPY the raw lines into staging, insert the new records (a repeated (source, record_id)
-- changes nothing), then bring each touched person's 12-month out-of-pocket sum up to date.
-- psql variables: src (the source name), oop_from, oop_to (the 365-day window, inclusive);
-- the NDJSON file is psql's standard input (\copy does not expand variables).
-- The staging table is the session's own (TEMP: unlogged, gone at commit), so two partners'
-- files can go through this path at once, each in its own session.
BEGIN;
CREATE TEMP TABLE staging (line text NOT NULL) ON COMMIT DROP;
-- every byte of a line is data: no quote or delimiter character can occur in NDJSON text
\copy staging (line) FROM pstdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
INSERT INTO records (source, record_id, id_number, body)
SELECT :'src', j->>'record_id', j->>'id_number', j
  FROM (SELECT line::jsonb AS j FROM staging) s
    ON CONFLICT (source, record_id) DO NOTHING;
-- only the medical feed moves the out-of-pocket sum; for other sources this touches nothing
INSERT INTO person_oop (id_number, oop_12m)
SELECT r.id_number, COALESCE(SUM(round((r.body->>'out_of_pocket')::numeric * 100)::bigint)
                             FILTER (WHERE r.body->>'settled_on' BETWEEN :'oop_from' AND :'oop_to'), 0)
  FROM records r
 WHERE :'src' = 'medical' AND r.source = 'medical'
   AND r.id_number IN (SELECT DISTINCT line::jsonb->>'id_number' FROM staging)
 GROUP BY r.id_number
    ON CONFLICT (id_number) DO UPDATE SET oop_12m = EXCLUDED.oop_12m;
COMMIT;
