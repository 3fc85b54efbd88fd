-- A policy file with a syntax error on line 12: a missing 'then'.
policy {
  id = "probe",
  name = { zh = "探针", en = "probe" },
  department = "tests",
  kind = "monthly",
  version = "t1",
  effective_from = "2026-01-01",
  params = { "probe.amount" },
  clauses = {
    { "broken", function(h, p, d, f)
        if h.counted > 0 return true, "x" end
        return false, "y"
      end },
  },
  amount = function(h, p, d, f) return p["probe.amount"] end,
}
