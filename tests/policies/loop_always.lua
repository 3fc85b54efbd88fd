-- Loops on every household (line 11): the trial run at load stops it.
policy {
  id = "probe",
  name = { zh = "探针", en = "probe" },
  department = "tests",
  kind = "monthly",
  version = "t1",
  effective_from = "2026-01-01",
  params = { "probe.amount" },
  clauses = {
    { "loops", function(h, p, d, f) while true do end end },
  },
  amount = function(h, p, d, f) return p["probe.amount"] end,
}
