-- 重度残疾人护理补贴 — care allowance for severe disability (DOMAIN.md, "Policies").
--
-- 100.00 a month for every counted member holding an active disability certificate of grade
-- 1 or 2 (verify reports a revoked certificate as grade 0). Granted at once.

local function who(m)
  return m.name ~= "" and m.name or ("member " .. m.id_number)
end

policy {
  id = "disability_care",
  name = { zh = "重度残疾人护理补贴", en = "care allowance for severe disability" },
  department = "civil affairs",
  kind = "monthly",
  version = "2026.1",
  effective_from = "2026-01-01",
  params = { "disability_care.severe_grade", "disability_care.amount" },
  automatic = true,

  facts = function(h, p, d)
    local severe = {}
    for _, m in ipairs(h.members) do
      local g = m.disability_grade
      if m.counted and g >= 1 and g <= p["disability_care.severe_grade"] then
        severe[#severe + 1] = m
      end
    end
    return { severe = severe }
  end,

  clauses = {
    { "a member with severe disability", function(h, p, d, f)
        local top = p["disability_care.severe_grade"]
        if #f.severe == 0 then
          return false, "no counted member holds an active grade 1-%d certificate", top
        end
        return true, "active grade 1-%d certificate: %s", top, function()
          local parts = {}
          for i, m in ipairs(f.severe) do
            parts[i] = string.format("%s (grade %d)", who(m), m.disability_grade)
          end
          return table.concat(parts, ", ")
        end
      end },
  },

  beneficiaries = function(h, p, d, f)
    local ids = {}
    for i, m in ipairs(f.severe) do
      ids[i] = m.id_number
    end
    return ids
  end,

  amount = function(h, p, d, f)
    return p["disability_care.amount"] * #f.severe
  end,
}
