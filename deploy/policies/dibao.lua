-- 最低生活保障 — the minimum living allowance (DOMAIN.md, "Policies").
--
-- Eligible when the household's per-capita income is below the line and its assets are within
-- the limits; pays the gap to the line for every counted member, at least the minimum.
-- A person supported as tekun is not a counted member here (tekun runs first), so a household
-- whose only member is tekun gets tekun alone.

-- Counted members not supported as tekun: how many, their income, and how many were left out.
local function dibao_members(h, d)
  -- Most households have no one supported as tekun: then no member's id needs looking up.
  local tekun = d.tekun.count > 0 and d.tekun.persons
  local n, income, left_out = 0, 0, 0
  for _, m in ipairs(h.members) do
    if m.counted then
      if tekun and tekun[m.id_number] then
        left_out = left_out + 1
      else
        n = n + 1
        income = income + m.income_monthly_avg
      end
    end
  end
  return n, income, left_out
end

policy {
  id = "dibao",
  name = { zh = "最低生活保障", en = "minimum living allowance" },
  department = "civil affairs",
  kind = "monthly",
  version = "2026.1",
  effective_from = "2026-01-01",
  params = { "dibao.line", "dibao.asset_months", "dibao.vehicle_limit", "dibao.max_real_estate",
             "dibao.minimum" },
  needs = { "tekun" },
  automatic = false,   -- a proactive finding goes to a caseworker

  facts = function(h, p, d)
    local n, income, left_out = dibao_members(h, d)
    local per = max(n, 1)
    return { n = n, left_out = left_out, pc = income // per, deposits_pc = h.deposits // per }
  end,

  clauses = {
    { "counted members", function(h, p, d, f)
        if f.left_out > 0 then
          return f.n > 0, "%d counted members (%d supported as tekun not counted)", f.n, f.left_out
        end
        return f.n > 0, "%d counted members", f.n
      end },
    { "per-capita income below the line", function(h, p, d, f)
        local line = p["dibao.line"]
        if f.pc < line then
          return true, "per-capita income %m < line %m", f.pc, line
        end
        return false, "per-capita income %m >= line %m", f.pc, line
      end },
    { "deposits and securities within the limit", function(h, p, d, f)
        local months = p["dibao.asset_months"]
        local limit = months * p["dibao.line"]
        if f.deposits_pc <= limit then
          return true, "deposits and securities per capita %m <= %m (%d x line)", f.deposits_pc, limit, months
        end
        return false, "deposits and securities per capita %m > %m (%d x line)", f.deposits_pc, limit, months
      end },
    { "no vehicle over the limit", function(h, p, d, f)
        local limit = p["dibao.vehicle_limit"]
        if h.vehicle_max <= limit then
          return true, "most valuable vehicle %m <= %m", h.vehicle_max, limit
        end
        return false, "most valuable vehicle %m > %m", h.vehicle_max, limit
      end },
    { "real-estate titles within the limit", function(h, p, d, f)
        local limit = p["dibao.max_real_estate"]
        if h.real_estate <= limit then
          return true, "%d real-estate titles <= %d", h.real_estate, limit
        end
        return false, "%d real-estate titles > %d", h.real_estate, limit
      end },
  },

  amount = function(h, p, d, f)
    return max((p["dibao.line"] - f.pc) * f.n, p["dibao.minimum"])
  end,
}
