-- What a PostgreSQL-based system runs for "what if the dibao line were X?": dibao, marginal
-- and temp_medical for every household, before (each region's own line) and after (the line
-- asked for), over the per-person picture of derive.sql. Parameters are the demo catalogue's
-- (deploy/policies/params.lua); the driver fills sim_line with each region's line and the
-- line asked for. Money is integer fen.
DROP VIEW IF EXISTS sim_households;
DROP TABLE IF EXISTS sim_line;
CREATE TABLE sim_line (prefix text, line_before bigint, line_after bigint);

CREATE VIEW sim_households AS
WITH m AS (
    SELECT p.*, (p.age >= 60 OR p.age < 16 OR (p.grade BETWEEN 1 AND 2)) AS unable,
           l.line_before AS lb, l.line_after AS la
      FROM persons_d p
      JOIN LATERAL (SELECT line_before, line_after FROM sim_line
                     WHERE p.region LIKE prefix || '%' ORDER BY length(prefix) DESC LIMIT 1) l ON true
), h AS (
    SELECT household_id, MIN(region) AS region, MIN(lb) AS lb, MIN(la) AS la,
           COUNT(*) FILTER (WHERE counted) AS n,
           COUNT(*) FILTER (WHERE counted AND unable) AS n_unable,
           COUNT(*) FILTER (WHERE counted AND NOT unable) AS n_able,
           COUNT(*) FILTER (WHERE counted AND unable AND income_avg < lb) AS sup_b,
           COALESCE(SUM(income_avg) FILTER (WHERE counted AND unable AND income_avg < lb), 0) AS supinc_b,
           COUNT(*) FILTER (WHERE counted AND unable AND income_avg < la) AS sup_a,
           COALESCE(SUM(income_avg) FILTER (WHERE counted AND unable AND income_avg < la), 0) AS supinc_a,
           COALESCE(SUM(income_avg) FILTER (WHERE counted), 0) AS income,
           COALESCE(SUM(income_12m) FILTER (WHERE counted), 0) AS income_12m,
           COALESCE(SUM(oop_12m) FILTER (WHERE counted), 0) AS oop,
           COALESCE(SUM(deposits) FILTER (WHERE counted), 0) AS deposits,
           COALESCE(MAX(vehicle_max) FILTER (WHERE counted), 0) AS vehicle_max,
           COALESCE(SUM(real_estate) FILTER (WHERE counted), 0) AS real_estate
      FROM m GROUP BY household_id
), t AS (           -- tekun decides who dibao leaves out
    SELECT h.*,
           (n_unable > 0 AND sup_b > 0 AND n_able = 0) AS tekun_b,
           (n_unable > 0 AND sup_a > 0 AND n_able = 0) AS tekun_a
      FROM h
), d AS (
    SELECT t.*,
           n - CASE WHEN tekun_b THEN sup_b ELSE 0 END AS dn_b,
           income - CASE WHEN tekun_b THEN supinc_b ELSE 0 END AS dinc_b,
           n - CASE WHEN tekun_a THEN sup_a ELSE 0 END AS dn_a,
           income - CASE WHEN tekun_a THEN supinc_a ELSE 0 END AS dinc_a,
           CASE WHEN n > 0 THEN floor(income::numeric / n)::bigint ELSE 0 END AS pc_all
      FROM t
), e AS (
    SELECT d.*,
           floor(dinc_b::numeric / GREATEST(dn_b, 1))::bigint AS pc_b,
           floor(deposits::numeric / GREATEST(dn_b, 1))::bigint AS dep_b,
           floor(dinc_a::numeric / GREATEST(dn_a, 1))::bigint AS pc_a,
           floor(deposits::numeric / GREATEST(dn_a, 1))::bigint AS dep_a,
           (vehicle_max <= 5000000 AND real_estate <= 1) AS things_ok
      FROM d
), f AS (
    SELECT e.*,
           (dn_b > 0 AND pc_b < lb AND dep_b <= 24 * lb AND things_ok) AS dibao_b,
           (dn_a > 0 AND pc_a < la AND dep_a <= 24 * la AND things_ok) AS dibao_a
      FROM e
)
SELECT household_id, region,
       dibao_b, dibao_a,
       (NOT dibao_b AND dn_b > 0 AND pc_b * 100 < lb * 150 AND dep_b <= 24 * lb AND things_ok) AS marginal_b,
       (NOT dibao_a AND dn_a > 0 AND pc_a * 100 < la * 150 AND dep_a <= 24 * la AND things_ok) AS marginal_a,
       (oop >= 2000000 AND oop * 100 >= income_12m * 50 AND pc_all * 100 < lb * 200) AS temp_medical_b,
       (oop >= 2000000 AND oop * 100 >= income_12m * 50 AND pc_all * 100 < la * 200) AS temp_medical_a,
       LEAST(round(oop::numeric * 80 / 100)::bigint, 5000000) AS temp_medical_grant,
       CASE WHEN dibao_b THEN GREATEST((lb - pc_b) * dn_b, 1000) ELSE 0 END AS dibao_cost_b,
       CASE WHEN dibao_a THEN GREATEST((la - pc_a) * dn_a, 1000) ELSE 0 END AS dibao_cost_a
  FROM f;
