-- 困难残疾人生活补贴 — living allowance for needy disabled people (DOMAIN.md, "Policies").
--
-- 100.00 a month for every counted member with an active disability certificate (any grade)
-- in a household that gets dibao or tekun. Granted at once.

local function who(m)
  return m.name ~= "" and m.name or ("member " .. m.id_number)
end

policy {
  id = "disability_living",
  name = { zh = "困难残疾人生活补贴", en = "living allowance for needy disabled people" },
  department = "civil affairs",
  kind = "monthly",
  version = "2026.1",
  effective_from = "2026-01-01",
  params = { "disability_living.amount" },
  needs = { "tekun", "dibao" },
  automatic = true,

  facts = function(h, p, d)
    local disabled = {}
    for _, m in ipairs(h.members) do
      if m.counted and m.disability_grade >= 1 then
        disabled[#disabled + 1] = m
      end
    end
    return { disabled = disabled }
  end,

  clauses = {
    { "a dibao or tekun household", function(h, p, d, f)
        if d.dibao.eligible and d.tekun.eligible then
          return true, "the household gets dibao and tekun"
        elseif d.dibao.eligible or d.tekun.eligible then
          return true, "the household gets " .. (d.dibao.eligible and "dibao" or "tekun")
        end
        return false, "the household gets neither dibao nor tekun"
      end },
    { "a disabled member", function(h, p, d, f)
        if #f.disabled == 0 then
          return false, "no counted member holds an active disability certificate"
        end
        return true, "active disability certificate: %s", function()
          local parts = {}
          for i, m in ipairs(f.disabled) do
            parts[i] = string.format("%s (grade %d)", who(m), m.disability_grade)
          end
          return table.concat(parts, ", ")
        end
      end },
  },

  beneficiaries = function(h, p, d, f)
    local ids = {}
    for i, m in ipairs(f.disabled) do
      ids[i] = m.id_number
    end
    return ids
  end,

  amount = function(h, p, d, f)
    return p["disability_living.amount"] * #f.disabled
  end,
}
