-- 临时救助(支出型) — temporary assistance for medical hardship (DOMAIN.md, "Policies").
--
-- When a household's out-of-pocket medical spending over the last 12 months reaches the
-- threshold and half of its 12-month income, and its per-capita income is below 2 x the line,
-- it gets 80% of that spending, at most the cap, minus what this policy already paid it in the
-- last 12 months. Up to auto_limit it is granted without an application.

policy {
  id = "temp_medical",
  name = { zh = "临时救助(支出型)", en = "temporary assistance for medical hardship" },
  department = "civil affairs",
  kind = "one_off",
  version = "2026.1",
  effective_from = "2026-01-01",
  params = { "temp_medical.oop_threshold", "temp_medical.income_share_pct", "dibao.line",
             "temp_medical.line_pct", "temp_medical.rate_pct", "temp_medical.cap",
             "temp_medical.auto_limit" },

  facts = function(h, p, d)
    local rate, cap = p["temp_medical.rate_pct"], p["temp_medical.cap"]
    local grant = min(muldiv(h.oop_12m, rate, 100), cap)
    local paid = h.paid_12m.temp_medical
    return { grant = grant, paid = paid, remaining = grant - paid }
  end,

  clauses = {
    { "out-of-pocket at least the threshold", function(h, p, d, f)
        local threshold = p["temp_medical.oop_threshold"]
        if h.oop_12m >= threshold then
          return true, "12-month out-of-pocket %m >= %m", h.oop_12m, threshold
        end
        return false, "12-month out-of-pocket %m < %m", h.oop_12m, threshold
      end },
    { "out-of-pocket a large share of income", function(h, p, d, f)
        local share = p["temp_medical.income_share_pct"]
        local part = muldiv(h.income_12m, share, 100)
        if h.oop_12m * 100 >= h.income_12m * share then
          return true, "out-of-pocket %m >= %m (%d%% of 12-month income %m)", h.oop_12m, part, share, h.income_12m
        end
        return false, "out-of-pocket %m < %m (%d%% of 12-month income %m)", h.oop_12m, part, share, h.income_12m
      end },
    { "per-capita income below the limit", function(h, p, d, f)
        local line, pct = p["dibao.line"], p["temp_medical.line_pct"]
        local limit = muldiv(line, pct, 100)
        if h.per_capita_income * 100 < line * pct then
          return true, "per-capita income %m < %m (%d%% of line %m)", h.per_capita_income, limit, pct, line
        end
        return false, "per-capita income %m >= %m (%d%% of line %m)", h.per_capita_income, limit, pct, line
      end },
    { "not already granted in full", function(h, p, d, f)
        return f.remaining > 0,
               "min(%d%% of %m, %m) = %m, minus %m paid in the last 12 months = %m",
               p["temp_medical.rate_pct"], h.oop_12m, p["temp_medical.cap"], f.grant, f.paid,
               max(f.remaining, 0)
      end },
  },

  amount = function(h, p, d, f)
    return f.remaining
  end,

  -- within auto_limit the grant is made at once ("policies find people")
  automatic = function(h, p, d, f, amount)
    return amount <= p["temp_medical.auto_limit"]
  end,
}
