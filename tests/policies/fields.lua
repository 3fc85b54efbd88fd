-- What a policy sees of a household: pairs() over a member and over the household name every
-- field, and string fields (set only when first read) carry this household's values.
policy {
  id = "probe",
  name = { zh = "探针", en = "probe" },
  department = "tests",
  kind = "monthly",
  version = "t1",
  effective_from = "2026-01-01",
  params = { "probe.amount", "probe.count" },
  clauses = {
    { "sees every field", function(h, p, d, f)
        if #h.members == 0 then
          return true, "no members"
        end
        local keys = {}
        for k in pairs(h.members[1]) do keys[#keys + 1] = k end
        table.sort(keys)
        local hk = {}
        for k in pairs(h) do hk[#hk + 1] = k end
        table.sort(hk)
        return true, table.concat(keys, ",") .. " | " .. table.concat(hk, ",") .. " | "
               .. h.members[1].name .. " " .. h.members[1].status .. " " .. h.region
      end },
  },
  amount = function(h, p, d, f)
    return p["probe.amount"]
  end,
}
