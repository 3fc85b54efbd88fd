-- Reads a parameter it does not list (line 12): caught by the trial run at load.
policy {
  id = "probe",
  name = { zh = "探针", en = "probe" },
  department = "tests",
  kind = "monthly",
  version = "t1",
  effective_from = "2026-01-01",
  params = { "probe.amount" },
  clauses = {
    { "reads", function(h, p, d, f)
        return p["probe.count"] > 0, "count"
      end },
  },
  amount = function(h, p, d, f) return p["probe.amount"] end,
}
