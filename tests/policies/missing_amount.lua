-- Has no amount function (the policy table starts on line 3).
local unused = 1
policy {
  id = "probe",
  name = { zh = "探针", en = "probe" },
  department = "tests",
  kind = "monthly",
  version = "t1",
  effective_from = "2026-01-01",
  params = { "probe.amount" },
  clauses = {
    { "ok", function(h, p, d, f) return true, "ok" end },
  },
}
