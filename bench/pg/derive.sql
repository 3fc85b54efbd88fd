-- The PostgreSQL peer's per-person picture, derived from the records table with DOMAIN.md's
-- rules (as SAIS's verify folds them), so that the simulate query below reads one row per
-- person the way SAIS's simulate reads one picture per household.
-- psql variables: today (YYYY-MM-DD), inc_from, inc_to (the 12 complete months, YYYY-MM).
DROP TABLE IF EXISTS persons_d CASCADE;
CREATE TABLE persons_d AS
WITH hk AS (        -- the hukou record in force: latest (date, record_id)
    SELECT DISTINCT ON (id_number) id_number, body
      FROM records WHERE source = 'hukou'
     ORDER BY id_number, body->>'date' DESC, record_id DESC
), reg AS (         -- the latest registration (register/update) fills what a move_out lacks
    SELECT DISTINCT ON (id_number) id_number, body
      FROM records WHERE source = 'hukou' AND body->>'event' <> 'move_out'
     ORDER BY id_number, body->>'date' DESC, record_id DESC
), person AS (
    SELECT hk.id_number,
           COALESCE(NULLIF(hk.body->>'household_id', ''), reg.body->>'household_id') AS household_id,
           COALESCE(NULLIF(hk.body->>'region', ''), reg.body->>'region') AS region,
           hk.body->>'event' = 'move_out' AS moved_out
      FROM hk LEFT JOIN reg USING (id_number)
), dead AS (
    SELECT DISTINCT id_number FROM records
     WHERE source = 'civil' AND body->>'event' = 'death'
), jail AS (        -- the justice record in force: latest (date, record_id)
    SELECT DISTINCT ON (id_number) id_number, body->>'event' = 'incarcerated' AS inside
      FROM records WHERE source = 'justice'
     ORDER BY id_number, body->>'date' DESC, record_id DESC
), cert AS (        -- each certificate's latest record (issued_on, record_id)
    SELECT DISTINCT ON (body->>'certificate') id_number, body
      FROM records WHERE source = 'disability'
     ORDER BY body->>'certificate', body->>'issued_on' DESC, record_id DESC
), grade AS (       -- the most severe active grade
    SELECT id_number, MIN((body->>'grade')::int) AS grade
      FROM cert WHERE body->>'status' = 'active' AND (body->>'grade')::int >= 1
     GROUP BY id_number
), income AS (      -- hrss amounts in the 12 complete months, fen
    SELECT id_number, SUM(round((body->>'amount')::numeric * 100)::bigint) AS income_12m
      FROM records
     WHERE source = 'hrss' AND body->>'month' BETWEEN :'inc_from' AND :'inc_to'
     GROUP BY id_number
), latest_asset AS ( -- per kind, every record with the latest as_of
    SELECT id_number, body->>'kind' AS kind, round((body->>'value')::numeric * 100)::bigint AS value,
           body->>'as_of' = MAX(body->>'as_of') OVER (PARTITION BY id_number, body->>'kind') AS current
      FROM records WHERE source = 'assets'
), assets AS (
    SELECT id_number,
           COALESCE(SUM(value) FILTER (WHERE kind IN ('deposit', 'securities')), 0) AS deposits,
           COALESCE(MAX(value) FILTER (WHERE kind = 'vehicle'), 0) AS vehicle_max,
           COUNT(*) FILTER (WHERE kind = 'real_estate') AS real_estate
      FROM latest_asset WHERE current
     GROUP BY id_number
)
SELECT p.id_number, p.household_id, p.region,
       (NOT p.moved_out AND d.id_number IS NULL AND NOT COALESCE(j.inside, false)) AS counted,
       date_part('year', age(:'today'::date,
                 to_date(substr(p.id_number, 7, 8), 'YYYYMMDD')))::int AS age,
       COALESCE(g.grade, 0) AS grade,
       COALESCE(i.income_12m, 0) AS income_12m,
       floor(COALESCE(i.income_12m, 0) / 12.0)::bigint AS income_avg,
       COALESCE(o.oop_12m, 0) AS oop_12m,
       COALESCE(a.deposits, 0) AS deposits,
       COALESCE(a.vehicle_max, 0) AS vehicle_max,
       COALESCE(a.real_estate, 0) AS real_estate
  FROM person p
  LEFT JOIN dead d USING (id_number)
  LEFT JOIN jail j USING (id_number)
  LEFT JOIN grade g USING (id_number)
  LEFT JOIN income i USING (id_number)
  LEFT JOIN person_oop o USING (id_number)
  LEFT JOIN assets a USING (id_number)
 WHERE p.household_id IS NOT NULL AND p.household_id <> '';
CREATE INDEX persons_d_household ON persons_d (household_id);
ANALYZE persons_d;
