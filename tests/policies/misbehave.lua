-- Misbehaves on purpose, chosen by the household id (the tests' switch). On any other household
-- it is a well-behaved policy, so that the catalogue loads (the trial run at load passes).
policy {
  id = "probe",
  name = { zh = "探针", en = "probe" },
  department = "tests",
  kind = "monthly",
  version = "t1",
  effective_from = "2026-01-01",
  params = { "probe.amount", "probe.count" },
  clauses = {
    { "behaves", function(h, p, d, f)
        local what = h.household_id
        if what == "loop" then
          while true do end
        elseif what == "loop_pcall" then
          local n = 0
          while true do pcall(function() while true do n = n + 1 end end) end
        elseif what == "hog" then
          local t = {}
          for i = 1, 1000 do t[i] = string.rep("x", 1 << 20) .. i end
        elseif what == "bad_return" then
          return 1, "one"
        elseif what == "global" then
          counter = (counter or 0) + 1
        elseif what == "write_household" then
          h.per_capita_income = 0
        elseif what == "write_member" then
          h.members[1].income_monthly_avg = 0
        elseif what == "write_params" then
          p["probe.amount"] = 1
        elseif what == "error" then
          error("deliberate failure")
        elseif what == "error_table" then
          error({ code = 7 })
        elseif what == "template_short" then
          return true, "%m of %m", 5
        elseif what == "template_percent" then
          return true, "50% off"
        elseif what == "template_float" then
          return true, "%m", 1.5
        elseif what == "template_lazy_error" then
          return true, "%s", function() error("lazy boom") end
        elseif what == "template_many" then
          local many = {}
          for i = 1, 500 do many[i] = i end
          return true, "one", table.unpack(many)
        end
        return true, "behaved"
      end },
    { "sees", function(h, p, d, f)
        local seen = {}
        for _, name in ipairs({ "io", "os", "package", "debug", "require", "load", "loadfile",
                                "dofile", "collectgarbage", "rawset", "utf8", "_G" }) do
          seen[#seen + 1] = name .. "=" .. type(_ENV[name])
        end
        seen[#seen + 1] = "string.dump=" .. type(string.dump)
        seen[#seen + 1] = "math.random=" .. type(math.random)
        seen[#seen + 1] = "meta=" .. tostring(getmetatable(""))
        seen[#seen + 1] = "members=" .. #h.members
        seen[#seen + 1] = "count=" .. p["probe.count"]
        return true, table.concat(seen, " ")
      end },
  },
  amount = function(h, p, d, f)
    if h.household_id == "float" then
      return p["probe.amount"] / 2
    elseif h.household_id == "negative" then
      return -1
    end
    return p["probe.amount"] * p["probe.count"]
  end,
}
