-- Lists a parameter params.lua does not define (line 10).
policy {
  id = "probe",
  name = { zh = "探针", en = "probe" },
  department = "tests",
  kind = "monthly",
  version = "t1",
  effective_from = "2026-01-01",
  params = { "probe.amount",
             "probe.nope" },
  clauses = {
    { "ok", function(h, p, d, f) return true, "ok" end },
  },
  amount = function(h, p, d, f) return p["probe.amount"] end,
}
