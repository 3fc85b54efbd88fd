-- The demo catalogue's parameters (DOMAIN.md, "Policies"). Every number a policy uses is here,
-- never in C and never in a policy file.
--
--   yuan "1200.00"  money, held as integer fen (exact: no floating point)
--   percent(130)    a whole percentage (130 = 1.3 x)
--   24              a plain integer (months, ages, grades, counts)
--
-- override "<region prefix>" { ... } replaces values for households whose region starts with
-- the prefix; where several prefixes match, the longest wins, parameter by parameter.
-- What-if requests (POST /v1/policies/evaluate, /simulate) apply their values on top.

-- The order policies are evaluated in: a policy may look at the decisions of earlier ones
-- (its `needs`), so tekun comes before dibao, and dibao before marginal and disability_living.
order { "tekun", "dibao", "marginal", "temp_medical", "disability_care", "disability_living" }

params {
  -- 最低生活保障 minimum living allowance
  ["dibao.line"]                    = yuan "1200.00",  -- per person per month
  ["dibao.asset_months"]            = 24,              -- deposits+securities per capita <= 24 x line
  ["dibao.vehicle_limit"]           = yuan "50000.00", -- no vehicle worth more
  ["dibao.max_real_estate"]         = 1,               -- real-estate titles
  ["dibao.minimum"]                 = yuan "10.00",    -- the smallest monthly payment

  -- 特困供养 support for the extremely poor
  ["tekun.age_old"]                 = 60,              -- from this age a person cannot work
  ["tekun.age_young"]               = 16,              -- below this age a person cannot work
  ["tekun.severe_grade"]            = 2,               -- disability grades 1..2 cannot work
  ["tekun.support_pct"]             = percent(130),    -- of the dibao line, per person

  -- 低保边缘 low-income margin
  ["marginal.line_pct"]             = percent(150),    -- per-capita income below 1.5 x line

  -- 临时救助(支出型) temporary assistance for medical hardship
  ["temp_medical.oop_threshold"]    = yuan "20000.00", -- 12-month out-of-pocket at least
  ["temp_medical.income_share_pct"] = percent(50),     -- and at least this share of 12-month income
  ["temp_medical.line_pct"]         = percent(200),    -- per-capita income below 2 x line
  ["temp_medical.rate_pct"]         = percent(80),     -- grant: this share of out-of-pocket
  ["temp_medical.cap"]              = yuan "50000.00", -- at most this much in 12 months
  ["temp_medical.auto_limit"]       = yuan "50000.00", -- granted without application up to this

  -- 重度残疾人护理补贴 care allowance for severe disability
  ["disability_care.severe_grade"]  = 2,               -- grades 1..2
  ["disability_care.amount"]        = yuan "100.00",   -- per member per month

  -- 困难残疾人生活补贴 living allowance for needy disabled
  ["disability_living.amount"]      = yuan "100.00",   -- per member per month
}

-- A county that sets its own values writes them here, for example:
--
--   override "330326" {                 -- Pingyang
--     ["dibao.line"] = yuan "1250.00",
--   }
--
-- The demo city uses one line everywhere: `sais gen` plants its test households (the seed
-- story among them, in Pingyang) against 1200.00.
