-- 特困供养 — support for the extremely poor (DOMAIN.md, "Policies").
--
-- A counted member who cannot work (60 or older, under 16, or disability grade 1-2) and has
-- no income source (income below the dibao line) is supported, provided no counted member of
-- the household is able to work. Pays 130% of the line per supported person. Runs before
-- dibao, which does not count the people supported here.

local function who(m)
  return m.name ~= "" and m.name or ("member " .. m.id_number)
end

local function unable_to_work(m, p)
  local g = m.disability_grade
  return m.age >= p["tekun.age_old"] or m.age < p["tekun.age_young"]
      or (g >= 1 and g <= p["tekun.severe_grade"])
end

-- "Zhou (age 86), Wang (age 76)", as a function: details are formatted only when an
-- explanation is wanted, so a simulation over every household never builds these strings.
-- The counted members in one of facts' groups: "unable", "supported" (unable, income below
-- the line) or "able".
local function members(h, p, group)
  local line = group == "supported" and p["dibao.line"]
  local out = {}
  for _, m in ipairs(h.members) do
    if m.counted then
      local unable = unable_to_work(m, p)
      if (group == "able" and not unable) or (group == "unable" and unable)
          or (group == "supported" and unable and m.income_monthly_avg < line) then
        out[#out + 1] = m
      end
    end
  end
  return out
end

local function describe(h, p, group, what)
  return function()
    local parts = {}
    for i, m in ipairs(members(h, p, group)) do
      parts[i] = who(m) .. " (" .. what(m) .. ")"
    end
    return table.concat(parts, ", ")
  end
end

local function age_or_grade(m)
  if m.disability_grade > 0 then
    return string.format("age %d, disability grade %d", m.age, m.disability_grade)
  end
  return string.format("age %d", m.age)
end

local function income(m)
  return "income " .. fmt_yuan(m.income_monthly_avg)
end

policy {
  id = "tekun",
  name = { zh = "特困供养", en = "support for the extremely poor" },
  department = "civil affairs",
  kind = "monthly",
  version = "2026.1",
  effective_from = "2026-01-01",
  params = { "dibao.line", "tekun.age_old", "tekun.age_young", "tekun.severe_grade",
             "tekun.support_pct" },
  automatic = false,   -- a proactive finding goes to a caseworker

  -- Counts only: most households fail the first clause, and a brief evaluation (simulate) reads
  -- no explanation, so the member lists are built only where one is shown (`members`). The
  -- line is read only where income matters (a what-if of the line then re-evaluates only the
  -- households whose decision read it).
  facts = function(h, p, d)
    local unable, able = 0, 0
    for _, m in ipairs(h.members) do
      if m.counted then
        if unable_to_work(m, p) then
          unable = unable + 1
        else
          able = able + 1
        end
      end
    end
    return { unable = unable, able = able }
  end,

  clauses = {
    { "a member unable to work", function(h, p, d, f)
        if f.unable == 0 then
          return false, "no counted member is %d or older, under %d or of disability grade 1-%d",
                 p["tekun.age_old"], p["tekun.age_young"], p["tekun.severe_grade"]
        end
        return true, "unable to work: %s", describe(h, p, "unable", age_or_grade)
      end },
    { "no income source", function(h, p, d, f)
        local line = p["dibao.line"]
        if #members(h, p, "supported") > 0 then
          return true, "income below the line %m: %s", line, describe(h, p, "supported", income)
        end
        if f.unable == 0 then
          return false, "no member unable to work"
        end
        return false, "income not below the line %m: %s", line, describe(h, p, "unable", income)
      end },
    { "no other member able to work", function(h, p, d, f)
        if f.able > 0 then
          return false, "able to work: %s", describe(h, p, "able", age_or_grade)
        end
        return true, "no counted member is able to work"
      end },
  },

  beneficiaries = function(h, p, d, f)
    local ids = {}
    for i, m in ipairs(members(h, p, "supported")) do
      ids[i] = m.id_number
    end
    return ids
  end,

  amount = function(h, p, d, f)
    return muldiv(p["dibao.line"], p["tekun.support_pct"], 100) * #members(h, p, "supported")
  end,
}
