-- 低保边缘 — the low-income margin (DOMAIN.md, "Policies").
--
-- A household that does not get dibao but whose per-capita income is below 1.5 x the line and
-- whose assets are within dibao's limits. Nothing is paid: the status is monitored and opens
-- medical and education aid. Members supported as tekun are left out as dibao leaves them out.

local function counted_without_tekun(h, d)
  local tekun = d.tekun.count > 0 and d.tekun.persons
  local n, income = 0, 0
  for _, m in ipairs(h.members) do
    if m.counted and not (tekun and tekun[m.id_number]) then
      n = n + 1
      income = income + m.income_monthly_avg
    end
  end
  return n, income
end

policy {
  id = "marginal",
  name = { zh = "低保边缘", en = "low-income margin" },
  department = "civil affairs",
  kind = "status",
  version = "2026.1",
  effective_from = "2026-01-01",
  params = { "dibao.line", "marginal.line_pct", "dibao.asset_months", "dibao.vehicle_limit",
             "dibao.max_real_estate" },
  needs = { "tekun", "dibao" },
  automatic = true,    -- a status, nothing is paid

  facts = function(h, p, d)
    local n, income = counted_without_tekun(h, d)
    local per = max(n, 1)
    return { n = n, pc = income // per, deposits_pc = h.deposits // per }
  end,

  clauses = {
    { "not receiving dibao", function(h, p, d, f)
        if d.dibao.eligible then
          return false, "the household is eligible for dibao"
        end
        return true, "the household is not eligible for dibao"
      end },
    { "counted members", function(h, p, d, f)
        return f.n > 0, "%d counted members not supported as tekun", f.n
      end },
    { "per-capita income below the margin", function(h, p, d, f)
        local line, pct = p["dibao.line"], p["marginal.line_pct"]
        local margin = muldiv(line, pct, 100)
        if f.pc * 100 < line * pct then
          return true, "per-capita income %m < %m (%d%% of line %m)", f.pc, margin, pct, line
        end
        return false, "per-capita income %m >= %m (%d%% of line %m)", f.pc, margin, pct, line
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
    return 0
  end,
}
