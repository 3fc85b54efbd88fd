-- The timed question: how many households each policy reaches before and after, and what
-- dibao costs a month (fen) — the figures of POST /v1/policies/simulate.
SELECT COUNT(*) AS households,
       COUNT(*) FILTER (WHERE dibao_b) AS dibao_before, COUNT(*) FILTER (WHERE dibao_a) AS dibao_after,
       COUNT(*) FILTER (WHERE marginal_b) AS marginal_before, COUNT(*) FILTER (WHERE marginal_a) AS marginal_after,
       COUNT(*) FILTER (WHERE temp_medical_b) AS temp_medical_before,
       COUNT(*) FILTER (WHERE temp_medical_a) AS temp_medical_after,
       SUM(dibao_cost_b) AS dibao_cost_before, SUM(dibao_cost_a) AS dibao_cost_after
  FROM sim_households;
